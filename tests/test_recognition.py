from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .test_program import ProgramCase


class RecognitionCase(ProgramCase):
    def goal_of(self, challenge, user, xmlid):
        return self.env["gamification.goal"].search(
            [
                ("challenge_id", "=", challenge.id),
                ("user_id", "=", user.id),
                ("definition_id", "=", self.env.ref(f"crm_everyone_sells.{xmlid}").id),
            ]
        )

    def create_challenge(self):
        action = self.as_admin(self.program).action_create_challenge()
        return self.env["gamification.challenge"].browse(action["res_id"])

    def won_deal_with_assist(self, revenue=1_000_000):
        lead = self.make_deal(
            revenue=revenue,
            contributors=[
                (self.employee_support, 2, "originator"),
                (self.employee_engineer, 1, "technical"),
            ],
        )
        self.mark_won(lead)
        return lead


@tagged("post_install", "-at_install")
class TestGoals(RecognitionCase):
    def test_goal_definitions_shipped_over_the_addon_records(self):
        models = {
            "goal_definition_signals_logged": "crm.signal",
            "goal_definition_signals_handed_off": "crm.signal",
            "goal_definition_signals_won": "crm.lead",
            "goal_definition_yen_credited": "crm.contribution",
            "goal_definition_assists": "crm.lead.contributor",
        }
        for xmlid, model in models.items():
            definition = self.env.ref(f"crm_everyone_sells.{xmlid}")
            self.assertEqual(definition.model_id.model, model)
            self.assertIn(definition.computation_mode, ("count", "sum"))
            self.assertTrue(definition.field_date_id)

    def test_challenge_participants_by_department(self):
        self.start_pilot()
        challenge = self.create_challenge()
        self.assertEqual(challenge.state, "inprogress")
        self.assertEqual(challenge.period, "monthly")
        self.assertEqual(challenge.everyone_sells_program_id, self.program)
        self.assertIn(self.user_support, challenge.user_ids)
        self.assertIn(self.user_manager, challenge.user_ids, "also in support")
        self.assertNotIn(self.user_engineer, challenge.user_ids)
        self.assertEqual(len(challenge.line_ids), 5)
        self.assertEqual(self.program.challenge_count, 1)

    def test_rollout_challenge_takes_everyone_with_an_employee(self):
        self.start_pilot()
        self.as_admin(self.program).action_rollout()
        challenge = self.create_challenge()
        self.assertIn(self.user_engineer, challenge.user_ids)
        self.assertNotIn(self.user_no_employee, challenge.user_ids)
        self.assertNotIn(self.user_portal, challenge.user_ids)

    def test_employee_cannot_create_a_challenge(self):
        self.start_pilot()
        with self.assertRaises(AccessError):
            self.program.with_user(self.user_support).action_create_challenge()

    def test_goals_count_the_users_own_records(self):
        self.start_pilot()
        self.as_admin(self.program).action_rollout()
        challenge = self.create_challenge()
        self.won_deal_with_assist(revenue=1_000_000)
        self.log_signal(self.user_support, name="別の声", partner_id=self.customer_other.id)
        self.log_signal(self.user_engineer, name="技術の声", partner_id=False)
        goals = self.env["gamification.goal"].search([("challenge_id", "=", challenge.id)])
        goals.update_goal()

        def current(user, xmlid):
            return self.goal_of(challenge, user, xmlid).current

        self.assertEqual(current(self.user_support, "goal_definition_signals_logged"), 2)
        self.assertEqual(current(self.user_support, "goal_definition_signals_handed_off"), 1)
        self.assertEqual(current(self.user_support, "goal_definition_signals_won"), 1)
        # 5 % of 1,000,000 split 2:1 between support and the engineer.
        self.assertEqual(current(self.user_support, "goal_definition_yen_credited"), 33_334)
        self.assertEqual(current(self.user_engineer, "goal_definition_yen_credited"), 16_666)
        self.assertEqual(current(self.user_support, "goal_definition_assists"), 0)
        self.assertEqual(current(self.user_engineer, "goal_definition_assists"), 1)
        self.assertEqual(current(self.user_engineer, "goal_definition_signals_logged"), 1)
        self.assertEqual(current(self.user_engineer, "goal_definition_signals_won"), 0)

    def test_reversed_credit_lowers_the_goal(self):
        self.start_pilot()
        challenge = self.create_challenge()
        lead = self.won_deal_with_assist()
        lead.action_set_lost()
        self.run_crediting()
        goal = self.goal_of(challenge, self.user_support, "goal_definition_yen_credited")
        goal.update_goal()
        self.assertEqual(goal.current, 0)

    def test_participants_see_the_ranking_others_do_not(self):
        self.start_pilot()
        challenge = self.create_challenge()
        Goal = self.env["gamification.goal"]
        mine = Goal.with_user(self.user_support).search([("challenge_id", "=", challenge.id)])
        self.assertIn(self.user_support, mine.user_id)
        outsider = Goal.with_user(self.user_engineer).search([("challenge_id", "=", challenge.id)])
        self.assertFalse(outsider, "the engineer is not in the pilot")


@tagged("post_install", "-at_install")
class TestBadges(RecognitionCase):
    def test_badges_shipped_with_japanese_names(self):
        self.assertEqual(self.env.ref("crm_everyone_sells.badge_everyone_sells").name, "全員営業賞")
        self.assertEqual(
            self.env.ref("crm_everyone_sells.badge_best_assist").name, "ベストアシスト賞"
        )

    def test_top_contributor_rewarded_with_everyone_sells_award(self):
        self.start_pilot()
        challenge = self.create_challenge()
        self.won_deal_with_assist()
        self.env["gamification.goal"].search([("challenge_id", "=", challenge.id)]).update_goal()
        challenge.sudo()._check_challenge_reward(force=True)
        award = self.env["gamification.badge.user"].search(
            [
                ("challenge_id", "=", challenge.id),
                ("badge_id", "=", self.env.ref("crm_everyone_sells.badge_everyone_sells").id),
            ]
        )
        self.assertEqual(award.user_id, self.user_support)
        self.assertEqual(award.employee_id, self.employee_support, "granted to the employee")

    def test_colleague_sends_best_assist_to_an_employee(self):
        badge = self.env.ref("crm_everyone_sells.badge_best_assist")
        wizard = (
            self.env["gamification.badge.user.wizard"]
            .with_user(self.user_support)
            .create(
                {
                    "badge_id": badge.id,
                    "employee_id": self.employee_engineer.id,
                    "user_id": self.user_engineer.id,
                    "comment": "API連携の技術説明、ありがとうございました。",
                }
            )
        )
        wizard.action_grant_badge()
        granted = self.env["gamification.badge.user"].search([("badge_id", "=", badge.id)])
        self.assertEqual(granted.employee_id, self.employee_engineer)
        self.assertEqual(granted.sender_id, self.user_support)
        again = (
            self.env["gamification.badge.user.wizard"]
            .with_user(self.user_support)
            .create(
                {
                    "badge_id": badge.id,
                    "employee_id": self.employee_marketer.id,
                    "user_id": self.user_marketer.id,
                }
            )
        )
        with self.assertRaises(UserError):
            again.action_grant_badge()

    def test_everyone_sells_award_not_sent_by_employees(self):
        wizard = (
            self.env["gamification.badge.user.wizard"]
            .with_user(self.user_support)
            .create(
                {
                    "badge_id": self.env.ref("crm_everyone_sells.badge_everyone_sells").id,
                    "employee_id": self.employee_engineer.id,
                    "user_id": self.user_engineer.id,
                }
            )
        )
        with self.assertRaises(UserError):
            wizard.action_grant_badge()

    def test_award_rule_with_money_is_refused_with_the_law(self):
        with self.assertRaisesRegex(ValidationError, "art. 11"):
            self.make_rule(name="社長賞", wage_type="award", percentage=3)


@tagged("post_install", "-at_install")
class TestSuccessStories(RecognitionCase):
    def write_story(self, lead, user=None):
        return (
            self.env["crm.contribution.success.story"]
            .with_user(user or self.user_manager)
            .with_context(allowed_company_ids=self.company.ids)
            .create(
                {
                    "name": "サポートの一言が大型受注に",
                    "lead_id": lead.id,
                    "company_id": self.company.id,
                    "what_happened": "<p>問い合わせ対応中にAPI連携の要望を聞き、営業へ。</p>",
                    "customer_gain": "<p>手作業の転記が月40時間減りました。</p>",
                }
            )
        )

    def test_story_names_who_helped_and_is_published_to_everyone(self):
        self.start_pilot()
        lead = self.won_deal_with_assist()
        story = self.write_story(lead)
        self.assertEqual(story.helper_ids, self.employee_support | self.employee_engineer)
        self.assertEqual(story.program_id, self.program)
        story.action_publish()
        self.assertEqual(story.state, "published")
        channel = self.env.ref("crm_everyone_sells.channel_success_stories")
        self.assertEqual(story.message_id.res_id, channel.id)
        self.assertIn("サポートの一言が大型受注に", story.message_id.body)
        self.assertIn(self.user_engineer.partner_id, channel.channel_member_ids.partner_id)
        as_employee = story.with_user(self.user_marketer)
        self.assertEqual(as_employee.read(["name"])[0]["name"], "サポートの一言が大型受注に")

    def test_draft_story_is_hidden_from_employees(self):
        story = self.write_story(self.won_deal_with_assist())
        with self.assertRaises(AccessError):
            story.with_user(self.user_marketer).read(["name"])

    def test_employee_cannot_write_or_publish_a_story(self):
        lead = self.won_deal_with_assist()
        with self.assertRaises(AccessError):
            self.write_story(lead, user=self.user_support)
        story = self.write_story(lead)
        with self.assertRaises(UserError):
            story.with_user(self.user_support).action_publish()

    def test_story_of_a_deal_not_won_is_not_published(self):
        lead = self.make_deal(revenue=500_000)
        story = self.write_story(lead)
        with self.assertRaises(UserError):
            story.action_publish()
        self.assertEqual(story.state, "draft")
