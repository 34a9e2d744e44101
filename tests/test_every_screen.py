from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import PayoutCase

RELATIONAL = ("many2one", "one2many", "many2many")


@tagged("post_install", "-at_install")
class TestEveryScreenOpens(PayoutCase):
    """Every window action in the app's menus, as each role, read as the web
    client reads it: its list, the form of its first record (every field the
    form shows, and the names of the records it links to), and a wizard's
    defaults when it opens. Odoo's clickbot (tests/test_tour.py) opens the
    lists, filters and views in the browser; this opens the records and the
    wizards, whose fields may reach a model a role cannot read."""

    def setUp(self):
        super().setUp()
        # Something behind every screen: a signal, a won deal's approved
        # credits, another's waiting for approval, a payout with its lines.
        self.won_and_approved()
        self.mark_won(self.make_deal(signal_name="承認待ちの受注"))
        self.log_signal(name="新しいシグナル")
        self.payout().action_compute()

    # ------------------------------------------------------------------

    def app_actions(self, user):
        """The window actions of the app's menus this user sees."""
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
        root = self.env.ref("crm_everyone_sells.menu_root").id
        todo, actions = [root], []
        while todo:
            menu = menus[todo.pop()]
            todo += menu["children"]
            kind, _sep, action_id = (menu.get("action") or "").partition(",")
            if kind == "ir.actions.act_window":
                actions.append(self.env[kind].browse(int(action_id)))
        return actions

    def spec(self, models, model_name, depth=0):
        """What the web client reads of ``model_name`` for a view: every field
        of the view, the display name of linked records, and the fields of
        the lists inside the form."""
        spec = {}
        for name, field in models.get(model_name, {}).get("fields", {}).items():
            if field["type"] == "many2one":
                spec[name] = {"fields": {"display_name": {}}}
            elif field["type"] in RELATIONAL and depth == 0:
                inner = self.spec(models, field["relation"], depth + 1)
                spec[name] = {"fields": inner or {"display_name": {}}}
            elif field["type"] in RELATIONAL:
                spec[name] = {"fields": {"display_name": {}}}
            else:
                spec[name] = {}
        return spec

    def open_action(self, user, action):
        values = {"uid": user.id, "allowed_company_ids": self.company.ids}
        context = safe_eval(action.context or "{}", dict(values))
        domain = safe_eval(action.domain or "[]", dict(values))
        model = (
            self.env[action.res_model]
            .with_user(user)
            .with_context(**context, lang="ja_JP", allowed_company_ids=self.company.ids)
        )
        view_ids = {view_type: view_id for view_id, view_type in action.views}
        modes = action.view_mode.split(",")
        if "list" in modes:
            views = model.get_views([(view_ids.get("list"), "list")])
            model.web_search_read(domain, self.spec(views["models"], model._name), limit=80)
        if "form" in modes or action.target == "new":
            views = model.get_views([(view_ids.get("form"), "form")])
            spec = self.spec(views["models"], model._name)
            record = model.browse()
            if "list" in modes:
                # The action's first record, else any this user may open.
                record = model.search(domain, limit=1) or model.search([], limit=1)
            if record:
                record.web_read(spec)
            elif not model._abstract:
                model.onchange({}, [], spec)

    def test_every_screen_opens_for_every_role(self):
        self.env["res.lang"]._activate_lang("ja_JP")
        roles = {
            "employee": self.user_support,
            "salesperson": self.user_salesman,
            "sales manager": self.user_sales_manager,
            "contribution manager": self.user_manager,
            "administrator": self.user_admin,
        }
        opened = 0
        for role, user in roles.items():
            for action in self.app_actions(user):
                with self.subTest(role=role, action=action.name, model=action.res_model):
                    self.open_action(user, action)
                    opened += 1
        self.assertGreater(opened, 40, "the roles see the app's screens")
