from odoo import api, models
from odoo.osv import expression

# The 47 prefectures in Japanese, by their JIS X 0401 code, the code of
# Odoo's base records (base.state_jp_jp-01 … -47). res.country.state.name is
# not translatable in Odoo 18 and other addons rely on the base records'
# English names: they are kept, and this addon shows these to Japanese readers
# (screens, warnings, statements, payroll files) and finds a prefecture by them.
PREFECTURES_JA = {
    "01": "北海道",
    "02": "青森県",
    "03": "岩手県",
    "04": "宮城県",
    "05": "秋田県",
    "06": "山形県",
    "07": "福島県",
    "08": "茨城県",
    "09": "栃木県",
    "10": "群馬県",
    "11": "埼玉県",
    "12": "千葉県",
    "13": "東京都",
    "14": "神奈川県",
    "15": "新潟県",
    "16": "富山県",
    "17": "石川県",
    "18": "福井県",
    "19": "山梨県",
    "20": "長野県",
    "21": "岐阜県",
    "22": "静岡県",
    "23": "愛知県",
    "24": "三重県",
    "25": "滋賀県",
    "26": "京都府",
    "27": "大阪府",
    "28": "兵庫県",
    "29": "奈良県",
    "30": "和歌山県",
    "31": "鳥取県",
    "32": "島根県",
    "33": "岡山県",
    "34": "広島県",
    "35": "山口県",
    "36": "徳島県",
    "37": "香川県",
    "38": "愛媛県",
    "39": "高知県",
    "40": "福岡県",
    "41": "佐賀県",
    "42": "長崎県",
    "43": "熊本県",
    "44": "大分県",
    "45": "宮崎県",
    "46": "鹿児島県",
    "47": "沖縄県",
}


def _is_japanese(lang):
    return bool(lang) and lang.split("_")[0] == "ja"


class ResCountryState(models.Model):
    _inherit = "res.country.state"

    def _everyone_sells_name(self, lang=None):
        """The prefecture's name for a reader of ``lang`` (default: the
        environment's): Japanese for a Japanese reader of a Japanese
        prefecture, else the base record's name. One record."""
        self.ensure_one()
        if _is_japanese(lang or self.env.lang) and self.country_id.code == "JP":
            return PREFECTURES_JA.get(self.code, self.name)
        return self.name

    @api.depends("country_id")
    @api.depends_context("lang")
    def _compute_display_name(self):
        super()._compute_display_name()
        if not _is_japanese(self.env.lang):
            return
        for state in self:
            if state.country_id.code == "JP" and state.code in PREFECTURES_JA:
                state.display_name = PREFECTURES_JA[state.code]

    @api.model
    def _search_display_name(self, operator, value):
        """Also by the Japanese name: 東京 finds Tokyo (the company and address
        forms, the minimum-wage import). The names are matched here, in
        Python, against the fixed list: no pattern reaches the database."""
        domain = super()._search_display_name(operator, value)
        if operator == "in":
            wanted = {name.strip() for name in value if isinstance(name, str)}
            codes = [code for code, name in PREFECTURES_JA.items() if name in wanted]
        elif operator == "=" and isinstance(value, str):
            codes = [code for code, name in PREFECTURES_JA.items() if name == value.strip()]
        elif operator == "ilike" and isinstance(value, str) and value.strip():
            codes = [code for code, name in PREFECTURES_JA.items() if value.strip() in name]
        else:
            codes = []
        if codes:
            japanese = [("country_id.code", "=", "JP"), ("code", "in", codes)]
            if country_id := self.env.context.get("country_id"):
                japanese = expression.AND([japanese, [("country_id", "=", country_id)]])
            domain = expression.OR([domain, japanese])
        return domain
