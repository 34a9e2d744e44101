from . import crm_contribution_adjust
from . import crm_contribution_credit_history
from . import crm_contribution_payout_close
from . import crm_signal_decline
from . import crm_signal_handoff
