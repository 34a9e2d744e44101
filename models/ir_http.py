from werkzeug.exceptions import LengthRequired, RequestEntityTooLarge

from odoo import models
from odoo.http import request


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        result = super()._pre_dispatch(rule, args)
        if rule.endpoint.routing.get("everyone_sells_raw_body"):
            # Slack signs the raw form body: keep it before Odoo parses the
            # form (werkzeug then parses the kept copy). A body larger than
            # the route allows is refused before it is read.
            httprequest = request.httprequest
            limit = httprequest.max_content_length
            if httprequest.content_length is None:
                raise LengthRequired()
            if limit is not None and httprequest.content_length > limit:
                raise RequestEntityTooLarge()
            httprequest.get_data()
        return result

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
