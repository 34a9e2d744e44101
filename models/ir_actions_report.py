from odoo import models

STATEMENT_REPORT = "crm_everyone_sells.report_payout_statement"


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf_prepare_streams(self, report_ref, data, res_ids=None):
        """Statements print one employee at a time, then are merged.

        Each statement is in its own employee's language and page numbering, and
        wkhtmltopdf builds without the patched Qt (Debian's) cannot split one
        multi-record PDF by record (they fail with an empty file)."""
        if (
            res_ids
            and len(set(res_ids)) > 1
            and self._get_report(report_ref).report_name == STATEMENT_REPORT
        ):
            streams = {}
            for res_id in dict.fromkeys(res_ids):
                streams.update(
                    super()._render_qweb_pdf_prepare_streams(
                        report_ref, dict(data or {}), res_ids=[res_id]
                    )
                )
            return streams
        return super()._render_qweb_pdf_prepare_streams(report_ref, data, res_ids=res_ids)
