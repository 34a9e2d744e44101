import { messageActionsRegistry } from "@mail/core/common/message_actions";
import { _t } from "@web/core/l10n/translation";
import { openSignalDialog } from "./signal_dialog";

// What a person wrote, on any record with a chatter or in Discuss; not the
// system's own notices, not a signal's own chatter.
const SKIPPED_TYPES = ["notification", "user_notification"];
const SKIPPED_MODELS = ["mail.box", "crm.signal"];

messageActionsRegistry.add("crm_everyone_sells.save_as_signal", {
    condition: (component) => {
        const message = component.props.message;
        return (
            component.store.self.isInternalUser &&
            Number.isInteger(message.id) &&
            !message.isEmpty &&
            !SKIPPED_TYPES.includes(message.message_type) &&
            Boolean(message.thread?.model) &&
            !SKIPPED_MODELS.includes(message.thread.model)
        );
    },
    icon: "fa fa-bullhorn",
    title: _t("Save as Signal"),
    onClick: async (component) => {
        const action = await component.env.services.orm.call(
            "crm.signal",
            "action_prepare_from_message",
            [component.props.message.id]
        );
        await openSignalDialog(component.env, action);
    },
    sequence: 105,
});
