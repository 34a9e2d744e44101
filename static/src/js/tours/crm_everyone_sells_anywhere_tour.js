/** @odoo-module **/

import { registry } from "@web/core/registry";

const CUSTOMER_NAME = "株式会社みらい商事";
const EMAIL_FIRST_LINE = "API連携オプションがあれば購入したい";
const EMAIL_AUTHOR = "山田 太郎";
const SYSTRAY_SUMMARY = "納期を短縮できれば追加発注したい";

/**
 * An engineer reads a customer's e-mail in the chatter of the customer's
 * contact and saves it as a signal: the dialog is prefilled, the contact
 * stays on screen.
 */
registry.category("web_tour.tours").add("crm_everyone_sells_save_from_chatter", {
    steps: () => [
        {
            // An e-mail's body is in a shadow root: find it by its author.
            content: "Show the actions of the customer's e-mail",
            trigger: `.o-mail-Message:has(.o-mail-Message-author:contains(${EMAIL_AUTHOR}))`,
            run: "hover && click .o-mail-Message [title='Expand']",
        },
        {
            content: "Save it as a signal",
            trigger:
                ".o-mail-Message-moreMenu [title='Save as Signal'], .o-mail-Message [title='Save as Signal']",
            run: "click",
        },
        {
            content: "The summary is the e-mail's first line",
            trigger: `.modal .o_field_widget[name=name] input:value(${EMAIL_FIRST_LINE})`,
        },
        {
            content: "The customer is the author's company",
            trigger: `.modal .o_field_widget[name=partner_id] input:value(${CUSTOMER_NAME})`,
        },
        {
            content: "The source is shown",
            trigger: `.modal .o_crm_signal_source:contains(${CUSTOMER_NAME})`,
        },
        {
            content: "Save",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "A notification links to the signal",
            trigger: ".o_notification:contains(Signal saved) button:contains(Open the signal)",
        },
        {
            content: "The contact is still on screen",
            trigger: `body:not(:has(.modal)) .o_breadcrumb:contains(${CUSTOMER_NAME})`,
        },
    ],
});

/**
 * A support employee, in Discuss, logs what a customer said from the systray
 * and never leaves Discuss until opening the signal from the notification.
 */
registry.category("web_tour.tours").add("crm_everyone_sells_systray", {
    steps: () => [
        {
            content: "Discuss is open",
            trigger: ".o-mail-Discuss",
        },
        {
            content: "Log a Signal from the systray",
            trigger: ".o_crm_signal_systray button",
            run: "click",
        },
        {
            content: "Type what the customer said",
            trigger: ".modal .o_field_widget[name=name] input",
            run: `edit ${SYSTRAY_SUMMARY}`,
        },
        {
            content: "Search the customer",
            trigger: ".modal .o_field_widget[name=partner_id] input",
            run: "edit みらい商事",
        },
        {
            content: "Pick the customer",
            trigger: `.o-autocomplete--dropdown-menu .dropdown-item:contains(${CUSTOMER_NAME})`,
            run: "click",
        },
        {
            content: "Save",
            trigger: `.modal:has(.o_field_widget[name=partner_id] input:value(${CUSTOMER_NAME})) .o_form_button_save`,
            run: "click",
        },
        {
            content: "Still in Discuss, with a notification",
            trigger: "body:not(:has(.modal)) .o-mail-Discuss",
        },
        {
            content: "Open the signal from the notification",
            trigger: ".o_notification:contains(Signal saved) button:contains(Open the signal)",
            run: "click",
        },
        {
            content: "The signal is shown",
            trigger: `.o_last_breadcrumb_item:contains(${SYSTRAY_SUMMARY})`,
        },
    ],
});

/**
 * A marketer starts logging a signal (from the command palette) about a
 * customer a colleague already signalled: one warning on the form, before saving, naming the colleague;
 * no earnings box; changing the type does not warn again.
 */
registry.category("web_tour.tours").add("crm_everyone_sells_duplicate_warning", {
    steps: () => [
        {
            content: "Discuss is loaded",
            trigger: ".o-mail-Discuss",
        },
        {
            content: "Open the command palette",
            trigger: ".o_crm_signal_systray button",
            run: "press ctrl+k",
        },
        {
            content: "Look for the command",
            trigger: ".o_command_palette_search input",
            run: "fill Log a Signal",
        },
        {
            content: "Log a Signal from the command palette",
            trigger: ".o_command:contains(Log a Signal)",
            run: "click",
        },
        {
            content: "Type what the customer said",
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit 展示会で増設の話を聞いた",
        },
        {
            content: "Search the customer",
            trigger: ".modal .o_field_widget[name=partner_id] input",
            run: "edit みらい商事",
        },
        {
            content: "Pick the customer",
            trigger: `.o-autocomplete--dropdown-menu .dropdown-item:contains(${CUSTOMER_NAME})`,
            run: "click",
        },
        {
            content: "The form says whose signal came first, before saving",
            trigger: ".modal .o_crm_signal_duplicate_hint:contains(佐藤 花子)",
        },
        {
            content: "No popup, no earnings box for a duplicate",
            trigger: "body:not(:has(.o_notification)) .modal:not(:has(.alert-success))",
        },
        {
            content: "Change the type",
            trigger: ".modal .o_field_widget[name=signal_type_id] input",
            run: "edit Upsell",
        },
        {
            content: "Pick the type",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains(Upsell)",
            run: "click",
        },
        {
            content: "Still one warning, no popup",
            trigger:
                "body:not(:has(.o_notification)) .modal .o_field_widget[name=signal_type_id] input:value(Upsell)",
        },
        {
            content: "The warning is still shown once",
            trigger: ".modal .o_crm_signal_duplicate_hint:contains(佐藤 花子)",
        },
        {
            content: "Discard",
            trigger: ".modal .o_form_button_cancel",
            run: "click",
        },
        {
            content: "The dialog is closed",
            trigger: "body:not(:has(.modal))",
        },
    ],
});

/**
 * On a phone: the systray button opens the form full screen; typing the
 * customer's name in the text recognises the customer.
 */
registry.category("web_tour.tours").add("crm_everyone_sells_systray_mobile", {
    steps: () => [
        {
            content: "The customer's form is loaded",
            trigger: `.o_form_view .o_field_widget[name=name]:contains(${CUSTOMER_NAME}), .o_form_view .o_field_widget[name=name] :value(${CUSTOMER_NAME})`,
        },
        {
            content: "Log a Signal from the systray",
            trigger: ".o_crm_signal_systray button",
            run: "click",
        },
        {
            content: "Type what the customer said",
            trigger: ".modal .o_field_widget[name=name] input",
            run: "edit 来期は拠点を2つ増やす予定",
        },
        {
            content: "Type who said it",
            trigger: ".modal .o_field_widget[name=contact_name] input",
            run: "edit みらい商事 購買部 小野様 && click .modal .o_field_widget[name=name] input",
        },
        {
            content: "The customer is recognised",
            trigger: `.modal .o_crm_signal_customer_hint:contains(${CUSTOMER_NAME})`,
        },
        {
            content: "Save",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "A notification links to the signal",
            trigger: ".o_notification:contains(Signal saved)",
        },
    ],
});

/**
 * An engineer reads a colleague's Discuss message about a customer and saves
 * it as a signal: channel "Other", the conversation stays on screen.
 */
registry.category("web_tour.tours").add("crm_everyone_sells_save_from_discuss", {
    steps: () => [
        {
            content: "Show the actions of the colleague's message",
            trigger: ".o-mail-Message:contains(保守契約の延長)",
            run: "hover && click .o-mail-Message:contains(保守契約の延長) [title='Expand']",
        },
        {
            content: "Save it as a signal",
            trigger:
                ".o-mail-Message-moreMenu [title='Save as Signal'], .o-mail-Message [title='Save as Signal']",
            run: "click",
        },
        {
            content: "Prefilled from the message; channel Other",
            trigger:
                ".modal:has(.o_field_widget[name=name] input:value(ひかり物産の木村さんが保守契約の延長を相談したいそうです)) " +
                ".o_field_widget[name=channel_id] input:value(Other)",
        },
        {
            content: "Save",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "A notification links to the signal",
            trigger: ".o_notification:contains(Signal saved) button:contains(Open the signal)",
        },
        {
            content: "The conversation is still open",
            trigger: "body:not(:has(.modal)) .o-mail-Discuss .o-mail-Message:contains(保守契約の延長)",
        },
    ],
});
