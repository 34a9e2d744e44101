/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

/**
 * Issue 22, items 1 and 2, as 佐藤 lives them in Japanese
 * (tests/test_tour_round_two.py, TestRoundTwoDisputeTour, sets up the data
 * and checks what the tours leave behind). A tour fails on any error dialog
 * or console error.
 */

const noErrorDialog = {
    content: "No error dialog",
    trigger: "body:not(:has(.o_error_dialog)):not(:has(.o_dialog .modal-title:contains(無効な操作)))",
};

/** Item 1: My Disputes → 新規 → her own credit, a reason → saved, open. */
registry.category("web_tour.tours").add("crm_everyone_sells_open_dispute", {
    steps: () => [
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the Everyone Sells app",
            trigger: ".o_app[data-menu-xmlid='crm_everyone_sells.menu_root']",
            run: "click",
        },
        {
            content: "Open 自分の活動",
            trigger: ".o_menu_sections [data-menu-xmlid='crm_everyone_sells.menu_mine']:contains(自分の活動)",
            run: "click",
        },
        {
            content: "Open 自分の異議申立て",
            trigger: ".dropdown-item[data-menu-xmlid='crm_everyone_sells.menu_my_disputes']:contains(自分の異議申立て)",
            run: "click",
        },
        {
            content: "新規",
            trigger: ".o_control_panel .o_list_button_add:contains(新規)",
            run: "click",
        },
        {
            content: "Search her credit by its deal",
            trigger: ".o_form_view .o_field_widget[name=contribution_id] input",
            run: "edit 青葉物流",
        },
        {
            content: "Pick her credit",
            trigger: ".o-autocomplete--dropdown-menu .dropdown-item:contains(受注貢献)",
            run: "click",
        },
        {
            content: "Say why",
            trigger: ".o_form_view .o_field_widget[name=reason] textarea",
            run: "edit 技術デモも担当したので比率を見直してほしい",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved",
            trigger: ".o_form_view .o_form_saved",
        },
        noErrorDialog,
        {
            content: "The dispute is open (未解決)",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(未解決)",
        },
        noErrorDialog,
    ],
});

/** Item 2: Save as Signal on 「Re: 帳票のExcel出力について」: the subject is the summary. */
registry.category("web_tour.tours").add("crm_everyone_sells_save_subject_as_summary", {
    steps: () => [
        {
            // An e-mail's body is in a shadow root: find it by its author.
            content: "Show the actions of the customer's e-mail",
            trigger: ".o-mail-Message:has(.o-mail-Message-author:contains(山田 太郎))",
            run: "hover && click .o-mail-Message .o-mail-Message-actions .fa-ellipsis-v",
        },
        {
            content: "シグナルとして保存",
            trigger:
                ".o-mail-Message-moreMenu [title='シグナルとして保存'], .o-mail-Message [title='シグナルとして保存']",
            run: "click",
        },
        {
            content: "The summary is the subject, without Re: nor the salutation",
            trigger: ".modal .o_field_widget[name=name] input:value(帳票のExcel出力について)",
        },
        {
            content: "Save",
            trigger: ".modal .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved: the dialog is closed",
            trigger: "body:not(:has(.modal)) .o_notification",
        },
        noErrorDialog,
    ],
});
