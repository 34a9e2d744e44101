import xmlrpc.client

from odoo.tests import HttpCase, tagged

from .common import ContributionCase


@tagged("post_install", "-at_install")
class TestForgedApprovalOverXmlRpc(HttpCase, ContributionCase):
    """Item 1 of issue 11, the way it was done: a Contribution Manager's
    XML-RPC ``write`` on his own draft credit, with another manager named as
    approver, sent to the real server."""

    def test_forged_approval_write_is_refused_by_the_server(self):
        lead = self.make_deal(
            signal_name="山本さんの件", contributors=[(self.employee_manager, 1, "originator")]
        )
        self.mark_won(lead)
        own = self.credits(lead)
        self.assertEqual(own.state, "draft")
        uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, "es_manager", "es_manager", {})
        self.assertEqual(uid, self.user_manager.id)
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.xmlrpc_object.execute_kw(
                self.env.cr.dbname,
                uid,
                "es_manager",
                "crm.contribution",
                "write",
                [own.ids, {"state": "approved", "approved_by_id": self.user_admin.id}],
                # A context an RPC caller may send, pretending to be the addon.
                {"context": {"everyone_sells_ledger_workflow": True}},
            )
        self.assertIn("only through its actions", caught.exception.faultString)
        own.invalidate_recordset()
        self.assertEqual(own.state, "draft")
        self.assertFalse(own.approved_by_id)
        # Through the action, the server refuses his own credit too.
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self.xmlrpc_object.execute_kw(
                self.env.cr.dbname,
                uid,
                "es_manager",
                "crm.contribution",
                "action_approve",
                [own.ids],
            )
        self.assertIn("your own credits", caught.exception.faultString)
        own.invalidate_recordset()
        self.assertEqual(own.state, "draft")
