/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * Issue 22, items 6, 7, 8 and 14, as the README's people live them, in
 * Japanese (tests/test_tour_round_two.py sets up the data and checks what
 * the tours leave behind). A tour fails on any error dialog or console error.
 */

/** Fails the tour if ``selector``'s text shows a time with seconds. */
const noSeconds = (selector) => ({
    content: "The deadline is a day and a time, without seconds",
    trigger: selector,
    run() {
        const text = document.querySelector(selector).textContent;
        if (/\d{1,2}:\d{2}:\d{2}|秒/.test(text)) {
            throw new Error(`The deadline shows seconds: ${text}`);
        }
    },
});

/** Item 6 and 7: 佐藤 opens the signal that arrived by e-mail in her name. */
registry.category("web_tour.tours").add("crm_everyone_sells_to_confirm", {
    steps: () => [
        {
            content: "The form says why to confirm",
            trigger: ".o_form_view .o_crm_signal_to_confirm:contains(e-mail), .o_form_view .o_crm_signal_to_confirm:contains(メール)",
        },
        {
            content: "Nothing says sales are on it yet",
            trigger: ".o_form_view:not(:has(.alert-info:contains(営業が対応中です)))",
        },
        {
            content: "Confirm I sent it",
            trigger: ".o_form_view button[name=action_confirm_signal]",
            run: "click",
        },
        {
            content: "Confirming says where it went",
            trigger: ".o_notification.border-success, .o_notification .text-success, .o_notification",
        },
    ],
});

/** Item 7: the deadline in the form once the signal is with sales. */
registry.category("web_tour.tours").add("crm_everyone_sells_one_deadline", {
    steps: () => [
        {
            content: "With sales, and by when",
            trigger: ".o_form_view .alert-info:contains(営業が対応中です) .o_field_widget[name=response_deadline_label]",
        },
        noSeconds(".o_form_view .alert-info .o_field_widget[name=response_deadline_label]"),
    ],
});

/** Item 14: 佐藤 opens her own request, routed to 技術部: nothing to press. */
registry.category("web_tour.tours").add("crm_everyone_sells_own_routed_signal", {
    steps: () => [
        {
            content: "Her routed request is open",
            trigger: ".o_form_view .o_field_widget[name=name]:contains(CSV出力に部署名を入れてほしい)",
        },
        {
            content: "No 対応完了 / 見送り for its author",
            trigger:
                ".o_form_view:not(:has(button[name=action_resolve])):not(:has(button[name=action_decline]))",
        },
        noSeconds(".o_form_view .alert-info .o_field_widget[name=response_deadline_label]"),
    ],
});

/** Item 14: 鈴木 of 技術部 answers it. */
registry.category("web_tour.tours").add("crm_everyone_sells_receiver_answers", {
    steps: () => [
        {
            content: "The receiver may resolve or decline",
            trigger: ".o_form_view button[name=action_resolve]",
        },
        {
            content: "…and decline",
            trigger: ".o_form_view button[name=action_decline]",
        },
    ],
});

/** Item 8: on a phone (390×844), 佐藤 logs a signal and sends it. */
registry.category("web_tour.tours").add("crm_everyone_sells_phone_send", {
    steps: () => [
        {
            content: "Type what the customer said",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit 来期に物流拠点を増やす予定",
        },
        {
            content: "Open the customer picker",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input",
            run: "click",
        },
        {
            content: "Companies first: the first card is not a person",
            trigger: ".modal .o_kanban_record:first:not(:contains(Aaron))",
        },
        {
            content: "Pick the customer",
            trigger: ".modal .o_kanban_record:contains(株式会社みらい商事)",
            run: "click",
        },
        {
            content: "The customer is set",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input:value(株式会社みらい商事)",
        },
        {
            content: "Send is in sight on the phone, not under the gear menu",
            trigger: ".o_form_view .o_crm_signal_send_phone:visible",
            run: "click",
        },
        {
            content: "Thanked, and told where it went",
            trigger: ".o_notification",
        },
    ],
});
