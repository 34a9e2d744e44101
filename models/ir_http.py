from odoo import models


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    def session_info(self):
        """The currency of each of the user's companies, for the amounts that
        Odoo's list group rows and pivots show without one (¥39,000, not
        39,000.00): static/src/amounts/."""
        info = super().session_info()
        if self.env.user._is_internal():
            info["everyone_sells_company_currencies"] = {
                company.id: company.currency_id.id for company in self.env.user.company_ids
            }
        return info
