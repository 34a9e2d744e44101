/** @odoo-module **/

import { patch } from "@web/core/utils/patch";
import { formatMonetary } from "@web/views/fields/formatters";
import { ListRenderer } from "@web/views/list/list_renderer";

import { OWN_MODELS, companyCurrencyId, isMoney } from "./company_currency";

/**
 * Odoo's list group rows and totals show a monetary sum
 * without its currency ("39,000.00"), since a group holds no currency. This
 * addon's amounts are in the company's currency: shown as ¥39,000 when the
 * companies the user works in share one currency (models/ir_http.py sends
 * them). Only this addon's models; pivots: pivot_amounts.js (lazy bundle).
 */

patch(ListRenderer.prototype, {
    formatAggregateValue(group, column) {
        const field = this.props.list.fields[column.name];
        const currencyId = companyCurrencyId();
        if (
            !OWN_MODELS.test(this.props.list.resModel) ||
            !isMoney(field, column.widget) ||
            !(column.name in group.aggregates) ||
            !currencyId
        ) {
            return super.formatAggregateValue(...arguments);
        }
        return formatMonetary(group.aggregates[column.name], { currencyId, escape: true });
    },

    get aggregates() {
        const aggregates = super.aggregates;
        const groups = this.props.list.groups;
        const currencyId = companyCurrencyId();
        if (!OWN_MODELS.test(this.props.list.resModel) || !groups || !currencyId) {
            return aggregates;
        }
        for (const column of this.allColumns) {
            if (
                column.type !== "field" ||
                !(column.name in aggregates) ||
                !column.attrs.sum ||
                !isMoney(this.fields[column.name], column.widget)
            ) {
                continue;
            }
            const total = groups.reduce((sum, g) => sum + (g.aggregates[column.name] || 0), 0);
            aggregates[column.name] = {
                help: column.attrs.sum,
                value: formatMonetary(total, { currencyId, escape: true }),
            };
        }
        return aggregates;
    },
});
