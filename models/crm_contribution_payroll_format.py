from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..core.payroll_file import (
    DEFAULT_REPLACEMENT,
    ColumnSpec,
    pad_key,
    replace_unencodable,
)
from ..core.payroll_presets import CHECKED_ON, KIND_FORMATS, PRESETS, preset_columns

ENCODING_SELECTION = [
    ("cp932", "Shift_JIS (CP932, as payroll products read it)"),
    ("utf8", "UTF-8"),
    ("utf8_bom", "UTF-8 with BOM"),
]
HOURS_SELECTION = [
    ("decimal", "Decimal (1.5)"),
    ("colon", "Hours:minutes (1:30)"),
    ("sexagesimal", "60進 hours.minutes (1.30)"),
    ("minutes", "Minutes (90)"),
]
KEY_SELECTION = [
    ("payroll_code", "Payroll Employee Code (社員番号)"),
    ("barcode", "Badge ID"),
]


def prefecture_label(state, lang=None):
    """The one place a payroll export writes a prefecture's name: the
    reader's (``lang``, default the environment's), Japanese for Japanese."""
    return state._everyone_sells_name(lang) if state else ""


class CrmContributionPayrollFormat(models.Model):
    _name = "crm.contribution.payroll.format"
    _description = "Payroll File Format"
    _order = "company_id, is_default desc, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=False)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    active = fields.Boolean(default=True)
    is_default = fields.Boolean(
        string="Company Default",
        help="Offered first by the Payroll File button; one per company.",
    )
    preset = fields.Selection(
        [
            ("custom", "Custom"),
            ("moneyforward", "マネーフォワード クラウド給与"),
            ("freee", "freee人事労務"),
            ("yayoi", "弥生給与"),
            ("jobcan", "ジョブカン給与計算"),
            ("pca", "PCA給与"),
            ("bugyo", "給与奉行"),
        ],
        required=True,
        default="custom",
        help="The payroll product the file is laid out for. Choosing one fills "
        "the options and columns with its defaults, which you then adapt.",
    )
    encoding = fields.Selection(ENCODING_SELECTION, required=True, default="cp932")
    delimiter = fields.Selection(
        [("comma", "Comma"), ("tab", "Tab"), ("semicolon", "Semicolon")],
        required=True,
        default="comma",
    )
    line_ending = fields.Selection(
        [("crlf", "Windows (CRLF)"), ("lf", "Unix (LF)")], required=True, default="crlf"
    )
    header_row = fields.Boolean(default=True, help="The first row holds the column headers.")
    employee_key = fields.Selection(
        KEY_SELECTION,
        required=True,
        default="payroll_code",
        help="Which employee field the payroll product matches rows by. Never "
        "Odoo's own id nor a national ID (My Number).",
    )
    key_width = fields.Integer(
        default=0,
        help="Numeric keys are zero-padded to this many digits (0: as they are).",
    )
    hours_format = fields.Selection(HOURS_SELECTION, required=True, default="decimal")
    replacement_char = fields.Char(
        string="Replacement Character",
        default=DEFAULT_REPLACEMENT,
        size=1,
        required=True,
        help="Written instead of a character the encoding cannot hold (𠮷 in "
        "Shift_JIS); the export lists the rows it touched.",
    )
    column_ids = fields.One2many(
        "crm.contribution.payroll.format.column", "format_id", string="Columns", copy=True
    )
    reference = fields.Char(
        readonly=True,
        help="The public page of the payroll product this preset's layout follows.",
    )
    import_screen = fields.Char(
        readonly=True, help="Where the payroll product takes the file in (from the preset)."
    )
    layout_confirmed = fields.Boolean(
        string="Confirmed With Our Product",
        help="Tick once a test import into your payroll product succeeded. "
        "Until then the layout is the preset's public-page reading, to be "
        "confirmed with your product.",
    )

    @api.model
    def _preset_values(self, preset):
        """Options and columns of ``preset`` as field values."""
        if preset not in PRESETS:
            return {}
        spec = PRESETS[preset]
        return {
            "encoding": spec["encoding"],
            "hours_format": spec["hours_style"],
            "delimiter": "comma",
            "line_ending": "crlf",
            "header_row": True,
            "reference": self.env._(
                "%(url)s (read on %(date)s)", url=spec["reference"], date=CHECKED_ON
            ),
            "import_screen": spec["screen"],
            "layout_confirmed": False,
            "column_ids": [Command.clear()]
            + [
                Command.create({"sequence": index, "kind": kind, "header": header, "value": value})
                for index, (kind, header, value) in enumerate(preset_columns(preset), 1)
            ],
        }

    @api.onchange("preset")
    def _onchange_preset(self):
        values = self._preset_values(self.preset)
        if values:
            if not self.name:
                values["name"] = PRESETS[self.preset]["name"]
            self.update(values)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("preset") in PRESETS and not vals.get("column_ids"):
                vals.update(
                    {
                        key: value
                        for key, value in self._preset_values(vals["preset"]).items()
                        if key not in vals
                    }
                )
        # The new default replaces the company's former one.
        self._unset_defaults(
            {
                vals.get("company_id") or self.env.company.id
                for vals in vals_list
                if vals.get("is_default")
            }
        )
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("is_default"):
            company_ids = {vals["company_id"]} if vals.get("company_id") else set()
            self._unset_defaults((company_ids or set(self.company_id.ids)), keep=self)
        return super().write(vals)

    def _unset_defaults(self, company_ids, keep=None):
        if company_ids:
            self.search(
                [
                    ("company_id", "in", list(company_ids)),
                    ("is_default", "=", True),
                    ("id", "not in", (keep or self.browse()).ids),
                ]
            ).write({"is_default": False})
            # Before the new default reaches the database's unique index.
            self.flush_model(["is_default"])

    def init(self):
        # One default per company, whatever writes at once.
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS crm_contribution_payroll_format_default_uniq
                   ON crm_contribution_payroll_format (company_id)
                WHERE is_default AND active"""
        )

    @api.model
    def _default_for(self, company):
        return self.search([("company_id", "=", company.id)], order="is_default desc, id", limit=1)

    @api.constrains("replacement_char", "encoding")
    def _check_replacement_char(self):
        for payroll_format in self:
            _text, unusable = replace_unencodable(
                payroll_format.replacement_char or "", payroll_format.encoding
            )
            if unusable:
                raise ValidationError(
                    self.env._(
                        "The replacement character %(char)s cannot be written in this "
                        "encoding: choose another one (〓 is in every encoding).",
                        char=payroll_format.replacement_char,
                    )
                )

    @api.constrains("column_ids", "key_width")
    def _check_columns(self):
        for payroll_format in self:
            if payroll_format.key_width < 0:
                raise ValidationError(self.env._("The key width cannot be negative."))
            if "employee_key" not in payroll_format.column_ids.mapped("kind"):
                raise ValidationError(
                    self.env._(
                        "%(format)s has no employee key column: the payroll product "
                        "matches every row by it.",
                        format=payroll_format.name,
                    )
                )

    def _column_specs(self):
        """The file's one list of column specs, in order."""
        self.ensure_one()
        return [
            ColumnSpec(column.header, column.kind, KIND_FORMATS[column.kind], column.value or "")
            for column in self.column_ids.sorted(lambda c: (c.sequence, c.id))
        ]

    def _keys_of(self, employees):
        """{employee id: key}, the same whoever exports: the payroll code (or
        the badge, when the format says so), zero-padded to the format's
        width; empty when HR has not filled it. Without a format (the
        workbook of a company with none): the payroll code as it is."""
        field = (
            "barcode"
            if self and self.employee_key == "barcode"
            else ("everyone_sells_payroll_code")
        )
        width = self.key_width if self else 0
        # Read as the system, in one query (fifty thousand employees through
        # the ORM took seconds): the key is HR data; the caller checked that
        # the user may export this payout (payroll rights), which is what
        # decides.
        Employee = self.env["hr.employee"]
        Employee.flush_model([field])
        rows = self.env.execute_query(
            SQL(
                "SELECT id, %s FROM hr_employee WHERE id = ANY(%s)",
                SQL.identifier(field),
                list(employees.ids),
            )
        )
        return {employee_id: pad_key(key, width) for employee_id, key in rows}
