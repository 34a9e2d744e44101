from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged

SIGNAL_SUMMARY = "CSVの一括取込が欲しい"


@tagged("post_install", "-at_install", "everyone_sells_tour")
class TestSignalTour(HttpCase):
    """The main flow in the web client: an employee outside sales logs what a
    customer said, a salesperson hands it off to a new opportunity."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.ref("base.main_company")
        Department = cls.env["hr.department"]
        cls.dept_support = Department.create(
            {"name": "カスタマーサポート部", "company_id": cls.company.id}
        )
        cls.dept_sales = Department.create({"name": "営業部", "company_id": cls.company.id})
        cls.user_support, cls.employee_support = cls._make_user(
            "es_tour_support", "佐藤 花子", cls.dept_support
        )
        cls.user_salesman, cls.employee_salesman = cls._make_user(
            "es_tour_salesman", "田中 健太", cls.dept_sales, "sales_team.group_sale_salesman"
        )
        cls.team = cls.env["crm.team"].create(
            {
                "name": "法人営業チーム",
                "company_id": cls.company.id,
                "member_ids": [Command.set(cls.user_salesman.ids)],
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "株式会社みらい商事", "is_company": True, "email": "info@mirai.example.jp"}
        )

    @classmethod
    def _make_user(cls, login, name, department, groups=""):
        user = new_test_user(
            cls.env,
            login=login,
            password=login,
            name=name,
            email=f"{login}@mirai-seisakusho.example.jp",
            groups=",".join(filter(None, ["base.group_user", groups])),
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
            tz="Asia/Tokyo",
        )
        employee = cls.env["hr.employee"].create(
            {
                "name": name,
                "user_id": user.id,
                "department_id": department.id,
                "company_id": cls.company.id,
            }
        )
        return user, employee

    def test_log_and_hand_off_signal(self):
        self.assertFalse(self.user_support.has_group("sales_team.group_sale_salesman"))

        self.start_tour("/odoo", "crm_everyone_sells_log_signal", login="es_tour_support")
        signal = self.env["crm.signal"].search([("name", "=", SIGNAL_SUMMARY)])
        self.assertEqual(len(signal), 1)
        self.assertEqual(signal.employee_id, self.employee_support)
        self.assertEqual(signal.department_id, self.dept_support)
        self.assertEqual(signal.partner_id, self.customer)
        self.assertEqual(signal.state, "new")

        self.start_tour("/odoo", "crm_everyone_sells_handoff", login="es_tour_salesman")
        signal.invalidate_recordset()
        self.assertEqual(signal.state, "handed_off")
        self.assertEqual(signal.employee_id, self.employee_support)
        self.assertEqual(signal.department_id, self.dept_support)
        lead = signal.lead_id
        self.assertTrue(lead)
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.name, SIGNAL_SUMMARY)
        self.assertEqual(lead.partner_id, self.customer)
        self.assertEqual(lead.user_id, self.user_salesman)
        self.assertEqual(lead.team_id, self.team)
        self.assertEqual(lead.origin_employee_id, self.employee_support)
        self.assertEqual(lead.origin_department_id, self.dept_support)
        self.assertEqual(
            self.env["crm.lead"].search([("origin_employee_id", "=", self.employee_support.id)]),
            lead,
        )
