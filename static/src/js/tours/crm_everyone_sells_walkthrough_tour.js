/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * The README's walk-through, steps 1–5, as its people live it, in Japanese.
 * Each tour is one person; tests/test_tour.py runs them in order and checks
 * what they leave behind. A tour fails on any error dialog or console error.
 */

const openApp = () => [
    stepUtils.showAppsMenuItem(),
    {
        content: "Open the Everyone Sells app",
        trigger: ".o_app[data-menu-xmlid='crm_everyone_sells.menu_root']",
        run: "click",
    },
];

const openMenu = (parent, child) => [
    {
        content: `Open the menu ${parent}`,
        trigger: `.o_menu_sections [data-menu-xmlid='crm_everyone_sells.${parent}']`,
        run: "click",
    },
    {
        content: `Open ${child}`,
        trigger: `.dropdown-item[data-menu-xmlid='crm_everyone_sells.${child}']`,
        run: "click",
    },
];

const noErrorDialog = {
    content: "No error dialog",
    trigger: "body:not(:has(.o_error_dialog))",
};

const pickMany2one = (field, search, label) => [
    {
        content: `Search ${label}`,
        trigger: `.o_form_view .o_field_widget[name=${field}] input`,
        run: `edit ${search}`,
    },
    {
        content: `Pick ${label}`,
        trigger: `.o-autocomplete--dropdown-menu .dropdown-item:contains(${label})`,
        run: "click",
    },
];

/** Step 1 — the employee: Home in Japanese, then a signal logged and sent. */
registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_employee", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        {
            content: "The app speaks Japanese",
            trigger: ".o_menu_sections [data-menu-xmlid='crm_everyone_sells.menu_mine']:contains(自分の活動)",
        },
        {
            content: "The app opens on Home, without a technical name in the breadcrumb",
            trigger: ".o_breadcrumb:not(:contains(crm.everyone.sells.home))",
        },
        {
            content: "Home has no '1 / 1' pager",
            trigger: ".o_control_panel:not(:has(.o_pager))",
        },
        {
            content: "Log a Signal",
            trigger: ".o_menu_sections [data-menu-xmlid='crm_everyone_sells.menu_log_signal']",
            run: "click",
        },
        {
            content: "Type what the customer said",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit 在庫連携のAPIがあれば購入したい",
        },
        ...pickMany2one("partner_id", "みらい商事", "株式会社みらい商事"),
        {
            content: "Send it with the primary button",
            trigger: ".o_form_view .o_form_statusbar button.btn-primary[name=action_send]",
            run: "click",
        },
        {
            content: "Told where it went",
            trigger: ".o_notification:contains(在庫連携のAPIがあれば購入したい)",
        },
        {
            content: "The sent signal's form gives way to a fresh one",
            trigger: ".o_breadcrumb:not(:contains(在庫連携のAPI))",
        },
        {
            content: "A fresh form waits for the next one",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run() {
                if (this.anchor.value) {
                    console.error("After Send, the form should be a fresh one");
                }
            },
        },
        ...openMenu("menu_mine", "menu_my_signals"),
        {
            content: "My Signals, first column New",
            trigger: ".o_kanban_view .o_kanban_group:first .o_column_title:contains(新規)",
        },
        noErrorDialog,
    ],
});

/** Step 2 — the salesperson marks the deal won. */
registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_won", {
    steps: () => [
        {
            content: "Mark the deal won",
            trigger: ".o_lead_opportunity_form button[name=action_set_won_rainbowman]",
            run: "click",
        },
        {
            content: "The deal shows as won",
            trigger: ".o_lead_opportunity_form .ribbon",
        },
        noErrorDialog,
    ],
});

/** Step 2, a moment later — the won deal says who was credited. */
registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_credited", {
    steps: () => [
        {
            content: "The chatter lists the credits",
            trigger: ".o-mail-Message:contains(佐藤 美穂):contains(60,000):contains(鈴木 大輝)",
        },
        noErrorDialog,
    ],
});

/** Step 3 — the manager approves the credits to approve. */
registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_approve", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openMenu("menu_approvals", "menu_contribution_approval"),
        {
            content: "The credits wait, explained",
            trigger: ".o_list_view .o_data_row:contains(佐藤 美穂)",
        },
        {
            content: "Select them all",
            trigger: ".o_list_view thead .o_list_record_selector input",
            run: "click",
        },
        {
            content: "Approve",
            trigger: "button[name=action_approve]",
            run: "click",
        },
        {
            content: "The approval is confirmed: 2 credits",
            trigger: ".o_notification:contains(2)",
        },
        {
            content: "Nothing left to approve",
            trigger: ".o_view_nocontent, .o_list_view:not(:has(.o_data_row))",
        },
        noErrorDialog,
    ],
});

/** Step 3, after approving — the manager reads Reporting > Contributions
 * (the ledger's totals) and opens the lines behind a row. */
registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_analysis", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openMenu("menu_reporting", "menu_contribution_analysis"),
        {
            content: "The pivot: 技術部's 30,000 by month",
            trigger: ".o_pivot tbody tr:contains(技術部) td:contains(30,000)",
        },
        {
            content: "The pivot's total: 90,000",
            trigger: ".o_pivot tbody tr:first td:contains(90,000)",
        },
        {
            content: "Switch to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            content: "カスタマーサポート部's row: its ledger lines",
            trigger: ".o_list_view .o_data_row:contains(60,000) button[name=action_open_entries]",
            run: "click",
        },
        {
            content: "The ledger shows 佐藤's approved credit",
            trigger: ".o_list_view .o_data_row:contains(佐藤 美穂):contains(60,000)",
        },
        ...openMenu("menu_reporting", "menu_evaluation"),
        {
            content: "Department Evaluation: 技術部's credit this year",
            trigger: ".o_list_view .o_group_header:contains(技術部):contains(30,000)",
            run: "click",
        },
        {
            content: "The department opens its employees: 鈴木",
            trigger: ".o_list_view .o_group_header:contains(鈴木 大輝):contains(30,000)",
        },
        {
            content: "Switch to the pivot",
            trigger: ".o_switch_view.o_pivot",
            run: "click",
        },
        {
            content: "The pivot by department: カスタマーサポート部",
            trigger: ".o_pivot tbody tr:contains(カスタマーサポート部)",
        },
        ...openMenu("menu_mine", "menu_my_evaluation"),
        {
            content: "My Evaluation is the manager's own too: the Mine filter is on",
            trigger: ".o_searchview_facet:contains(自分)",
        },
        {
            content: "山本 has no figures of their own: nobody else's show",
            trigger: ".o_view_nocontent",
        },
        noErrorDialog,
    ],
});

/** Step 4 — payroll closes the month, types hours, confirms, marks paid. */
registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_payroll", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openMenu("menu_payroll", "menu_payout_close"),
        {
            content: "The preview lists 佐藤",
            trigger: ".modal .o_field_widget[name=preview]:contains(佐藤 美穂)",
        },
        {
            content: "Create Payout",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "佐藤's line: worked hours",
            trigger:
                ".o_form_view .o_field_widget[name=line_ids] .o_data_row:contains(佐藤 美穂) .o_data_cell[name=worked_hours]",
            run: "click",
        },
        {
            content: "188 hours worked",
            trigger: ".o_field_widget[name=line_ids] .o_selected_row .o_field_widget[name=worked_hours] input",
            run: "edit 188",
        },
        {
            content: "20 hours overtime",
            trigger: ".o_field_widget[name=line_ids] .o_selected_row .o_field_widget[name=overtime_hours] input",
            run: "edit 20",
        },
        {
            content: "鈴木's line: worked hours (every line with an incentive needs them)",
            trigger:
                ".o_form_view .o_field_widget[name=line_ids] .o_data_row:contains(鈴木 大輝) .o_data_cell[name=worked_hours]",
            run: "click",
        },
        {
            content: "160 hours worked",
            trigger: ".o_field_widget[name=line_ids] .o_selected_row .o_field_widget[name=worked_hours] input",
            run: "edit 160",
        },
        ...stepUtils.saveForm(),
        {
            content: "The overtime premium is computed",
            trigger:
                ".o_field_widget[name=line_ids] .o_data_row:contains(佐藤 美穂) .o_data_cell[name=overtime_premium_amount]:not(:contains(¥ 0))",
        },
        {
            content: "Confirm",
            trigger: ".o_form_view .o_form_statusbar button[name=action_confirm]:enabled",
            run: "click",
        },
        {
            content: "Lines have warnings (the minimum-wage table is due its autumn update): confirming is asked first",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Confirmed",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current[data-value=confirmed]",
        },
        {
            content: "Mark as Paid",
            trigger: ".o_form_view .o_form_statusbar button[name=action_done]",
            run: "click",
        },
        {
            content: "Paying is asked first",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Paid",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current[data-value=done]",
        },
        noErrorDialog,
    ],
});

/** Step 4, a large payout — its statements print in the background. */
registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_statements_job", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openMenu("menu_payroll", "menu_payouts"),
        {
            content: "Open the paid payout",
            trigger: ".o_list_view .o_data_row:first .o_data_cell",
            run: "click",
        },
        {
            content: "Print Statements",
            trigger: ".o_form_view .o_form_statusbar button[name=action_print_statements]",
            run: "click",
        },
        {
            content: "Told it runs in the background, with a link to the job",
            trigger: ".o_notification:contains(バックグラウンド) a",
        },
        ...openMenu("menu_reporting", "menu_background_jobs"),
        {
            content: "Open the job",
            trigger: ".o_list_view .o_data_row:contains(支給明細書の印刷) .o_data_cell[name=display_name]",
            run: "click",
        },
        {
            content: "It waits or runs: the page says it follows it",
            trigger: ".o_form_view .alert-info[role=status]:not(.d-none)",
        },
        {
            content: "It ends while the page is open: done, its statements to download, no reload",
            trigger: ".o_form_view .o_form_statusbar button[name=action_download]:contains(明細書をダウンロード)",
            timeout: 30000,
        },
        {
            content: "The running notice is gone",
            trigger: ".o_form_view:not(:has(.alert-info[role=status]))",
        },
        noErrorDialog,
    ],
});

registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_statements_done", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openMenu("menu_reporting", "menu_background_jobs"),
        {
            content: "The job is listed, done",
            trigger: ".o_list_view .o_data_row:contains(支給明細書の印刷):contains(完了) .o_data_cell[name=display_name]",
            run: "click",
        },
        {
            content: "Its ZIP file of statements can be downloaded",
            trigger: ".o_form_view .o_form_statusbar button[name=action_download]:contains(明細書をダウンロード)",
        },
        {
            content: "The payout is named",
            trigger: ".o_form_view .o_field_widget[name=payout_id]",
        },
        noErrorDialog,
    ],
});

/** Step 4, the employee's side — the statement is there. */
registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_statement", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openMenu("menu_mine", "menu_my_statements"),
        {
            content: "Open the statement",
            trigger: ".o_data_row:contains(佐藤 美穂) .o_data_cell:first",
            run: "click",
        },
        {
            content: "Its breadcrumb names it, not a technical reference",
            trigger: ".o_last_breadcrumb_item:contains(佐藤 美穂):not(:contains(crm.contribution))",
        },
        {
            content: "A single statement has no '1 / 1' pager",
            trigger: ".o_form_view .o_control_panel:not(:has(.o_pager))",
        },
        noErrorDialog,
    ],
});

/** Step 5 — an improvement request goes straight to 技術部. */
registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_route", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        {
            content: "Log a Signal",
            trigger: ".o_menu_sections [data-menu-xmlid='crm_everyone_sells.menu_log_signal']",
            run: "click",
        },
        {
            content: "Type what the customer asked",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: "edit CSV出力に部署名を入れてほしい",
        },
        // The kind first: an improvement request does not compete with the
        // open sales signal about the same customer (no duplicate warning).
        ...pickMany2one("signal_type_id", "改善", "改善要望"),
        ...pickMany2one("partner_id", "みらい商事", "株式会社みらい商事"),
        {
            content: "Send",
            trigger: ".o_form_view .o_form_statusbar button[name=action_send]",
            run: "click",
        },
        {
            content: "Told it went to 技術部",
            trigger: ".o_notification:contains(技術部)",
        },
        noErrorDialog,
    ],
});

/** Step 5, the receiver — 技術部 resolves it with a sentence. */
registry.category("web_tour.tours").add("crm_everyone_sells_walkthrough_resolve", {
    url: "/odoo",
    steps: () => [
        ...openApp(),
        ...openMenu("menu_mine", "menu_routed_signals"),
        {
            content: "Open the routed signal",
            trigger: ".o_kanban_record:contains(CSV出力に部署名を入れてほしい)",
            run: "click",
        },
        {
            content: "Resolve",
            trigger: ".o_form_view .o_form_statusbar button[name=action_resolve]",
            run: "click",
        },
        {
            content: "Say what was done",
            trigger: ".modal .o_field_widget[name=resolution] textarea",
            run: "edit 次回リリース（12月）で部署名を出力します。",
        },
        {
            content: "Apply",
            trigger: ".modal button[name=action_apply]",
            run: "click",
        },
        {
            content: "Resolved",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current[data-value=resolved]",
        },
        noErrorDialog,
    ],
});
