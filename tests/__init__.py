from . import test_access
from . import test_duplicates
from . import test_handoff
from . import test_lead
from . import test_ledger
from . import test_mail_gateway
from . import test_signal
