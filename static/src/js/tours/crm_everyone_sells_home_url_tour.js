/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * Home by URL (issue #22, item 12): /odoo/everyone-sells, as a bookmark or a
 * reload, opens Home with the app's menus; its buttons lead on without
 * saving anything. tests/test_tour_home_and_prefectures.py checks that no
 * Home record was written.
 */
registry.category("web_tour.tours").add("crm_everyone_sells_home_by_url", {
    steps: () => [
        {
            content: "The app's menus are there, in Japanese",
            trigger: ".o_menu_sections [data-menu-xmlid='crm_everyone_sells.menu_mine']:contains(自分の活動)",
        },
        {
            content: "Home's figures are shown",
            trigger: ".o_form_view .o_field_widget[name=my_signal_count]:contains(1)",
        },
        {
            content: "Its title is the app's, not 新規 or a technical name",
            trigger: ".o_breadcrumb:not(:contains(新規)):not(:contains(crm.everyone.sells.home))",
        },
        {
            content: "No save button on Home",
            trigger: ".o_control_panel:not(:has(.o_form_button_save:visible))",
        },
        {
            content: "Open My Signals from Home",
            trigger: ".o_form_view button[name]:contains(自分のシグナル)",
            run: "click",
        },
        {
            content: "My Signals opens, with no error",
            trigger: ".o_kanban_view, .o_list_view",
        },
        {
            content: "Back to Home by the breadcrumb",
            trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb a:first",
            run: "click",
        },
        {
            content: "Home again, with the app's menus",
            trigger: ".o_form_view .o_field_widget[name=my_signal_count]",
        },
        {
            content: "No error dialog",
            trigger: "body:not(:has(.o_error_dialog))",
        },
    ],
});

/** Item 9: the Minimum Wages list names prefectures in Japanese. */
registry.category("web_tour.tours").add("crm_everyone_sells_prefectures_in_japanese", {
    steps: () => [
        {
            content: "Minimum Wages: 北海道, not Hokkaido (JP)",
            trigger: ".o_list_view .o_data_cell[name=state_id]:contains(北海道)",
        },
        {
            content: "No English prefecture name",
            trigger: ".o_list_view:not(:has(.o_data_cell[name=state_id]:contains(Hokkaido)))",
        },
        {
            content: "The hourly minimum in yen",
            trigger: ".o_list_view .o_data_cell[name=hourly_amount]:contains(¥)",
        },
    ],
});

/** Low items: yen with ¥ where Odoo shows a bare sum (group rows, pivots). */
registry.category("web_tour.tours").add("crm_everyone_sells_yen_in_my_contributions", {
    steps: () => [
        {
            content: "My Contributions, grouped by month: the month's sum in yen",
            trigger: ".o_list_view .o_group_header .o_list_number:contains(¥)",
        },
        {
            content: "In whole yen",
            trigger: ".o_list_view:not(:has(.o_group_header .o_list_number:contains(¥):contains(.00)))",
        },
    ],
});

registry.category("web_tour.tours").add("crm_everyone_sells_yen_in_evaluation", {
    steps: () => [
        {
            content: "The evaluation's pivot: amounts in yen",
            trigger: ".o_pivot .o_value:contains(¥)",
        },
        {
            content: "In whole yen",
            trigger: ".o_pivot:not(:has(.o_value:contains(¥):contains(.00)))",
        },
    ],
});

/** Item 9: the company form finds a prefecture by its Japanese name. */
registry.category("web_tour.tours").add("crm_everyone_sells_prefecture_on_company_form", {
    steps: () => [
        {
            content: "Type 大阪 in the company's prefecture",
            trigger: ".o_form_view .o_field_widget[name=state_id] input",
            run: "edit 大阪",
        },
        {
            content: "大阪府 is offered (not 'create')",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains(大阪府)",
            run: "click",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved, shown as 大阪府",
            trigger:
                ".o_form_view:not(:has(.o_form_button_save:visible)) .o_field_widget[name=state_id] input",
            run() {
                if (this.anchor.value !== "大阪府") {
                    console.error(`The prefecture reads ${this.anchor.value}, not 大阪府`);
                }
            },
        },
        {
            content: "No error dialog",
            trigger: "body:not(:has(.o_error_dialog))",
        },
    ],
});

/** Low items: a new rule's money fields in yen, before anything is saved. */
registry.category("web_tour.tours").add("crm_everyone_sells_new_rule_in_yen", {
    steps: () => [
        {
            content: "A new rule",
            trigger: ".o_form_view .o_field_widget[name=name] input",
        },
        {
            content: "Its cap per deal shows ¥",
            trigger: ".o_form_view .o_field_widget[name=cap_per_deal]:contains(¥)",
        },
        {
            content: "Its monthly cap shows ¥",
            trigger: ".o_form_view .o_field_widget[name=cap_per_period]:contains(¥)",
        },
    ],
});
