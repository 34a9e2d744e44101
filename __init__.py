from . import controllers
from . import models
from . import reports
from . import wizards


def uninstall_hook(env):
    """What the ORM does not drop: the contribution analysis's trigger and
    its table of differences."""
    from .models.crm_contribution_analysis import drop_analysis_sql  # noqa: PLC0415

    drop_analysis_sql(env.cr)
