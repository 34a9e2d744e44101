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
