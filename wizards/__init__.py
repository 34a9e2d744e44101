from . import crm_contribution_adjust
from . import crm_contribution_credit_history
from . import crm_contribution_evaluation_export
from . import crm_contribution_payout_close
from . import crm_everyone_sells_home
from . import crm_signal_decline
from . import crm_signal_handoff
from . import crm_signal_resolve
