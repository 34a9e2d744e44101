/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const SIGNAL_SUMMARY = "CSVの一括取込が欲しい";
const CUSTOMER_NAME = "株式会社みらい商事";

/**
 * A non-sales employee logs what a customer said: menu "Log a Signal",
 * summary, customer, save.
 */
registry.category("web_tour.tours").add("crm_everyone_sells_log_signal", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Everyone Sells app",
            trigger: ".o_app[data-menu-xmlid='crm_everyone_sells.menu_root']",
            run: "click",
        },
        {
            content: "Open Log a Signal",
            trigger: ".o_menu_sections [data-menu-xmlid='crm_everyone_sells.menu_log_signal']",
            run: "click",
        },
        {
            content: "Type what the customer said",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: `edit ${SIGNAL_SUMMARY}`,
        },
        {
            content: "Search the customer",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input",
            run: "edit みらい商事",
        },
        {
            content: "Pick the customer",
            trigger: `.o-autocomplete--dropdown-menu .dropdown-item:contains(${CUSTOMER_NAME})`,
            run: "click",
        },
        {
            content: "The customer is set",
            trigger: `.o_form_view .o_field_widget[name=partner_id] input:value(${CUSTOMER_NAME})`,
        },
        ...stepUtils.saveForm(),
        {
            content: "The saved signal is shown",
            trigger: `.o_last_breadcrumb_item:contains(${SIGNAL_SUMMARY})`,
        },
    ],
});

/**
 * A salesperson opens the signal inbox, opens the signal, hands it off and
 * lands on the new opportunity.
 */
registry.category("web_tour.tours").add("crm_everyone_sells_handoff", {
    url: "/odoo",
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Everyone Sells app",
            trigger: ".o_app[data-menu-xmlid='crm_everyone_sells.menu_root']",
            run: "click",
        },
        {
            content: "Open the Sales menu",
            trigger: ".o_menu_sections [data-menu-xmlid='crm_everyone_sells.menu_sales']",
            run: "click",
        },
        {
            content: "Open the Signal Inbox",
            trigger: ".dropdown-item[data-menu-xmlid='crm_everyone_sells.menu_signal_inbox']",
            run: "click",
        },
        {
            content: "Open the new signal",
            trigger: `.o_list_view .o_data_row .o_data_cell[name=name]:contains(${SIGNAL_SUMMARY})`,
            run: "click",
        },
        {
            content: "Hand the signal off",
            trigger: ".o_form_view .o_form_statusbar button[name=action_handoff]",
            run: "click",
        },
        {
            content: "The wizard proposes the opportunity title",
            trigger: `.modal .o_field_widget[name=name] input:value(${SIGNAL_SUMMARY})`,
        },
        {
            content: "Confirm the hand-off",
            trigger: ".modal .modal-footer button[name=action_apply]",
            run: "click",
        },
        {
            content: "The opportunity form is shown",
            trigger: `.o_lead_opportunity_form:not(:has(.modal))`,
        },
        {
            content: "The opportunity is named after the signal",
            trigger: `.o_last_breadcrumb_item:contains(${SIGNAL_SUMMARY})`,
        },
        {
            content: "The opportunity links back to its signal",
            trigger: ".o_lead_opportunity_form button[name=action_view_signals]",
        },
    ],
});
