"""Home by URL and prefectures in Japanese, in the browser as the README's
people (issue #22, items 9 and 12)."""

from odoo.tests import tagged

from .test_tour import WalkthroughCase


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestHomeByUrlTour(WalkthroughCase):
    def test_home_reloads_with_menus_and_writes_nothing(self):
        self.env["crm.signal"].with_user(self.sato).create(
            {"name": "在庫連携のAPIがあれば購入したい", "partner_id": self.customer.id}
        )
        Home = self.env["crm.everyone.sells.home"].sudo()
        before = Home.search_count([])
        self.start_tour(
            "/odoo/everyone-sells", "crm_everyone_sells_home_by_url", login="es_walk_sato"
        )
        self.assertEqual(Home.search_count([]), before, "opening Home wrote no record")

    def test_company_form_finds_a_prefecture_in_japanese(self):
        self.env.ref("base.user_admin").lang = "ja_JP"
        self.start_tour(
            f"/odoo/res.company/{self.company.id}",
            "crm_everyone_sells_prefecture_on_company_form",
            login="admin",
        )
        self.assertEqual(self.company.state_id, self.env.ref("base.state_jp_jp-27"))
        self.assertEqual(self.company.state_id.name, "Osaka", "the base record keeps its name")

    def test_minimum_wages_name_prefectures_in_japanese(self):
        action = self.env.ref("crm_everyone_sells.crm_contribution_minimum_wage_action")
        self.start_tour(
            f"/odoo/action-{action.id}",
            "crm_everyone_sells_prefectures_in_japanese",
            login="es_walk_payroll",
        )


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestYenTour(WalkthroughCase):
    def test_sums_show_yen(self):
        self.lead.write(
            {"stage_id": self.env["crm.stage"].search([("is_won", "=", True)], limit=1).id}
        )
        self.run_crediting()
        mine = self.env.ref("crm_everyone_sells.crm_contribution_action_my")
        self.start_tour(
            f"/odoo/action-{mine.id}",
            "crm_everyone_sells_yen_in_my_contributions",
            login="es_walk_sato",
        )
        evaluation = self.env.ref("crm_everyone_sells.crm_contribution_evaluation_report_action")
        self.start_tour(
            f"/odoo/action-{evaluation.id}",
            "crm_everyone_sells_yen_in_evaluation",
            login="es_walk_sato",
        )

    def test_new_rule_money_fields_show_yen(self):
        rules = self.env.ref("crm_everyone_sells.crm_contribution_rule_action")
        self.start_tour(
            f"/odoo/action-{rules.id}/new",
            "crm_everyone_sells_new_rule_in_yen",
            login="es_walk_payroll",
        )
