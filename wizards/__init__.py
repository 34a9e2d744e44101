from . import crm_signal_decline
from . import crm_signal_handoff
