from . import crm_contribution
from . import crm_contribution_dispute
from . import crm_contribution_minimum_wage
from . import crm_contribution_payout
from . import crm_contribution_payout_line
from . import crm_contribution_premium_rate
from . import crm_contribution_program
from . import crm_contribution_program_scope_log
from . import crm_contribution_queue
from . import crm_contribution_rule
from . import crm_contribution_rule_tier
from . import crm_contribution_success_story
from . import crm_lead
from . import crm_lead_contributor
from . import crm_signal
from . import crm_signal_channel
from . import crm_signal_type
from . import gamification_challenge
from . import hr_employee
from . import ir_actions_report
from . import res_company
from . import res_config_settings
from . import res_partner

# SQL views last: their tables must exist first.
from . import crm_contribution_evaluation_report
from . import crm_everyone_sells_report
