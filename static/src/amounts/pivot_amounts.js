/** @odoo-module **/

import { patch } from "@web/core/utils/patch";
import { formatMonetary } from "@web/views/fields/formatters";
import { PivotRenderer } from "@web/views/pivot/pivot_renderer";

import { OWN_MODELS, companyCurrencyId, isMoney } from "./company_currency";

/**
 * Odoo's pivot shows a monetary measure without its currency ("39,000.00"):
 * this addon's amounts in the company's currency (¥39,000). In the lazy
 * bundle, where Odoo's pivot is; list_amounts.js does the same for lists.
 */
patch(PivotRenderer.prototype, {
    getFormattedValue(cell) {
        const field = this.model.metaData.measures[cell.measure];
        const currencyId = companyCurrencyId();
        if (
            OWN_MODELS.test(this.model.metaData.resModel) &&
            !this.model.metaData.widgets[cell.measure] &&
            isMoney(field) &&
            currencyId
        ) {
            return formatMonetary(cell.value, { currencyId });
        }
        return super.getFormattedValue(cell);
    },
});
