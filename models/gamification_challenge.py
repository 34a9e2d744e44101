from odoo import fields, models


class GamificationChallenge(models.Model):
    _inherit = "gamification.challenge"

    everyone_sells_program_id = fields.Many2one(
        "crm.contribution.program",
        index="btree_not_null",
        ondelete="set null",
        help="The program whose participants and goals this challenge follows.",
    )

    def _reward_user(self, user, badge):
        """A program's badge goes to the employee, as hr_gamification grants
        it, so that it shows on the employee's profile."""
        if not self.everyone_sells_program_id:
            return super()._reward_user(user, badge)
        # sudo: the reward is the system's act at the end of the period; the
        # user's employee of the program's company, whatever companies are
        # active in this environment.
        employee = (
            self.env["hr.employee"]
            .sudo()
            .search(
                [
                    ("user_id", "=", user.id),
                    ("company_id", "=", self.everyone_sells_program_id.company_id.id),
                ],
                limit=1,
            )
        )
        return (
            self.env["gamification.badge.user"]
            .create(
                {
                    "user_id": user.id,
                    "badge_id": badge.id,
                    "challenge_id": self.id,
                    "employee_id": employee.id,
                }
            )
            ._send_badge()
        )
