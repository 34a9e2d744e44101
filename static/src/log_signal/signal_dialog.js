import { _t } from "@web/core/l10n/translation";

/**
 * The ten-second form, as a dialog over whatever screen the employee is on.
 */
export function logSignalAction() {
    return {
        type: "ir.actions.act_window",
        name: _t("Log a Signal"),
        res_model: "crm.signal",
        views: [[false, "form"]],
        target: "new",
        context: { form_view_ref: "crm_everyone_sells.crm_signal_view_form_quick" },
    };
}

/**
 * Open a signal form ``action`` (target new) and, once the signal is saved,
 * say so with a link to it, leaving the employee where they were.
 */
export function openSignalDialog(env, action) {
    const actionService = env.services.action;
    const announced = new Set();
    return actionService.doAction(action, {
        props: {
            onSave: (record, params) => {
                if (record.resId && !announced.has(record.resId)) {
                    announced.add(record.resId);
                    announceSignal(env, record.resId, record.data.name);
                }
                if (params?.closable) {
                    actionService.doAction({ type: "ir.actions.act_window_close" });
                }
            },
        },
    });
}

function announceSignal(env, resId, name) {
    const close = env.services.notification.add(name || "", {
        title: _t("Signal saved"),
        type: "success",
        buttons: [
            {
                name: _t("Open the signal"),
                primary: true,
                onClick: () => {
                    close();
                    env.services.action.doAction({
                        type: "ir.actions.act_window",
                        res_model: "crm.signal",
                        res_id: resId,
                        views: [[false, "form"]],
                    });
                },
            },
        ],
    });
}
