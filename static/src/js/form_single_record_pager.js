/** @odoo-module **/

import { patch } from "@web/core/utils/patch";
import { usePager } from "@web/search/pager_hook";
import { FormController } from "@web/views/form/form_controller";

/**
 * Everyone Sells' own records (Home, a signal, a statement) are often opened
 * alone: a pager reading "1 / 1" says nothing there. Same pager as Odoo's
 * form otherwise, only for this addon's models.
 */
const OWN_MODELS = /^(crm\.signal|crm\.contribution|crm\.everyone\.sells)(\.|$)/;

patch(FormController.prototype, {
    setup() {
        super.setup(...arguments);
        if (!OWN_MODELS.test(this.props.resModel)) {
            return;
        }
        usePager(() => {
            const root = this.model.root;
            if (root.isNew || root.resIds.length < 2) {
                return undefined;
            }
            const resIds = root.resIds;
            return {
                offset: resIds.indexOf(root.resId),
                limit: 1,
                total: resIds.length,
                onUpdate: ({ offset }) => this.onPagerUpdate({ offset, resIds }),
            };
        });
    },
});
