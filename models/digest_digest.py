from odoo import fields, models
from odoo.exceptions import AccessError

from .crm_signal_routing import WAITING_STATES


class Digest(models.Model):
    """Odoo's periodic KPI digest gets what fits its columns (this period,
    the last one): signals logged, handed off, and answered late. The
    credits waiting for approval go to the managers' weekly word instead
    (a backlog, not a figure of a period)."""

    _inherit = "digest.digest"

    kpi_everyone_sells_signals = fields.Boolean(string="Signals Logged")
    kpi_everyone_sells_signals_value = fields.Integer(
        compute="_compute_kpi_everyone_sells_signals_value"
    )
    kpi_everyone_sells_handed_off = fields.Boolean(string="Signals Handed Off")
    kpi_everyone_sells_handed_off_value = fields.Integer(
        compute="_compute_kpi_everyone_sells_handed_off_value"
    )
    kpi_everyone_sells_late = fields.Boolean(string="Signals Late for an Answer")
    kpi_everyone_sells_late_value = fields.Integer(compute="_compute_kpi_everyone_sells_late_value")

    def _check_everyone_sells_kpi_access(self):
        if not self.env.user.has_group("crm_everyone_sells.group_manager"):
            raise AccessError(
                self.env._("Do not have access, skip this data for user's digest email")
            )

    def _compute_kpi_everyone_sells_signals_value(self):
        self._check_everyone_sells_kpi_access()
        self._calculate_company_based_kpi("crm.signal", "kpi_everyone_sells_signals_value")

    def _compute_kpi_everyone_sells_handed_off_value(self):
        self._check_everyone_sells_kpi_access()
        self._calculate_company_based_kpi(
            "crm.signal", "kpi_everyone_sells_handed_off_value", date_field="handoff_date"
        )

    def _compute_kpi_everyone_sells_late_value(self):
        """Signals whose time to a first answer ran out in the period with no
        answer yet (a signal's deadline is cleared once it is answered, so
        only what is still waiting is counted)."""
        self._check_everyone_sells_kpi_access()
        self._calculate_company_based_kpi(
            "crm.signal",
            "kpi_everyone_sells_late_value",
            date_field="response_deadline",
            additional_domain=[
                ("state", "in", WAITING_STATES),
                ("response_deadline", "<", fields.Datetime.now()),
            ],
        )

    def _compute_kpis_actions(self, company, user):
        actions = super()._compute_kpis_actions(company, user)
        menu = self.env.ref("crm_everyone_sells.menu_root", raise_if_not_found=False)
        suffix = f"&menu_id={menu.id}" if menu else ""
        actions["kpi_everyone_sells_signals"] = "crm_everyone_sells.crm_signal_action_all" + suffix
        actions["kpi_everyone_sells_handed_off"] = (
            "crm_everyone_sells.crm_signal_action_all" + suffix
        )
        actions["kpi_everyone_sells_late"] = "crm_everyone_sells.crm_signal_action_overdue" + suffix
        return actions
