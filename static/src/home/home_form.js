import { registry } from "@web/core/registry";
import { FormController } from "@web/views/form/form_controller";
import { formView } from "@web/views/form/form_view";

/**
 * Home is a screen, not data: the window action opens it as a new record
 * whose figures the server computes when read (crm.everyone.sells.home's
 * onchange, read-only), and this controller never saves it: not before its
 * buttons run, not when leaving, not when the page is reloaded. A visit
 * writes nothing, and /odoo/everyone-sells reloads it with the app's menus.
 */
export class EveryoneSellsHomeFormController extends FormController {
    async beforeExecuteActionButton(clickParams) {
        return true;
    }

    beforeVisibilityChange() {}

    async beforeLeave() {}

    async beforeUnload() {}

    displayName() {
        return this.model.root.data.display_name || super.displayName();
    }
}

registry.category("views").add("everyone_sells_home_form", {
    ...formView,
    Controller: EveryoneSellsHomeFormController,
});
