import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { logSignalAction, openSignalDialog } from "./signal_dialog";

/**
 * "Log a Signal" on every screen: what a customer just said is written down
 * without leaving the ticket, the task or the mail being read.
 */
export class LogSignalSystray extends Component {
    static template = "crm_everyone_sells.LogSignalSystray";
    static props = {};

    setup() {
        this.state = useState({ visible: false });
        onWillStart(async () => {
            // Internal users only (they are all contributors); known from
            // the session, no server round trip.
            this.state.visible = await user.hasGroup("base.group_user");
        });
    }

    get title() {
        return _t("Log a Signal");
    }

    onClick() {
        openSignalDialog(this.env, logSignalAction());
    }
}

registry
    .category("systray")
    .add("crm_everyone_sells.log_signal", { Component: LogSignalSystray }, { sequence: 60 });

registry.category("command_provider").add("crm_everyone_sells.log_signal", {
    async provide(env) {
        if (!(await user.hasGroup("base.group_user"))) {
            return [];
        }
        return [
            {
                name: _t("Log a Signal"),
                action: () => openSignalDialog(env, logSignalAction()),
            },
        ];
    },
});
