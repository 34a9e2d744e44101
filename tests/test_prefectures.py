"""Prefectures in Japanese for Japanese readers, without renaming Odoo's
base records (issue #22, item 9)."""

from odoo.tests import TransactionCase, tagged

from ..models.payout_line_figures import bilingual
from ..models.res_country_state import PREFECTURES_JA


@tagged("post_install", "-at_install")
class TestPrefectures(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ja_JP")
        cls.tokyo = cls.env.ref("base.state_jp_jp-13")
        cls.hokkaido = cls.env.ref("base.state_jp_jp-01")
        cls.States = cls.env["res.country.state"]

    def test_forty_seven_names_one_per_base_record(self):
        self.assertEqual(len(PREFECTURES_JA), 47)
        japan = self.States.search([("country_id.code", "=", "JP")])
        self.assertEqual(set(japan.mapped("code")), set(PREFECTURES_JA))

    def test_base_records_keep_their_names(self):
        self.assertEqual(self.tokyo.with_context(lang="ja_JP").name, "Tokyo")

    def test_the_readers_name(self):
        self.assertEqual(self.tokyo._everyone_sells_name("ja_JP"), "東京都")
        self.assertEqual(self.tokyo._everyone_sells_name("en_US"), "Tokyo")
        self.assertEqual(self.tokyo.with_context(lang="ja_JP")._everyone_sells_name(), "東京都")
        california = self.env.ref("base.state_us_5")
        self.assertEqual(california._everyone_sells_name("ja_JP"), california.name)

    def test_shown_in_japanese_to_a_japanese_reader(self):
        # The Minimum Wages list, a workplace, the company form.
        self.assertEqual(self.hokkaido.with_context(lang="ja_JP").display_name, "北海道")
        self.assertEqual(self.hokkaido.with_context(lang="en_US").display_name, "Hokkaido (JP)")

    def test_found_by_its_japanese_name(self):
        found = self.States.with_context(lang="ja_JP").name_search("東京")
        self.assertIn(self.tokyo.id, [state_id for state_id, _name in found])
        found = self.States.name_search("大阪府", args=[("country_id.code", "=", "JP")])
        osaka = self.env.ref("base.state_jp_jp-27")
        self.assertEqual([state_id for state_id, _name in found], osaka.ids)
        # As an import matches a name exactly.
        found = self.States.name_search("北海道", operator="=")
        self.assertEqual([state_id for state_id, _name in found], self.hokkaido.ids)
        self.assertEqual(self.States.search([("display_name", "=", "北海道")]), self.hokkaido)
        self.assertEqual(
            self.States.search([("display_name", "in", ["北海道", "東京都"])]),
            self.tokyo | self.hokkaido,
        )
        # English still works, and nothing unrelated matches.
        self.assertIn(self.tokyo, self.States.search([("display_name", "ilike", "Tokyo")]))
        self.assertFalse(self.States.search([("display_name", "=", "東")]))

    def test_warnings_name_the_prefecture_in_each_language(self):
        text = bilingual("minimum_wage_stale", prefecture=self.tokyo, year=2025)
        japanese, english = text.split(" / ")
        self.assertIn("東京都の2025年10月以降", japanese)
        self.assertIn("revision of Tokyo from October 2025", english)
        self.assertNotIn("Tokyo", japanese)
