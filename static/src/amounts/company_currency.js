/** @odoo-module **/

import { user } from "@web/core/user";
import { session } from "@web/session";

/** This addon's models, whose amounts are in their company's currency. */
export const OWN_MODELS = /^(crm\.signal|crm\.contribution|crm\.everyone\.sells)(\.|$)/;

const companyCurrencies = session.everyone_sells_company_currencies || {};

/**
 * The currency of the companies the user works in now, when they share one
 * (models/ir_http.py sends each company's).
 */
export function companyCurrencyId() {
    const ids = new Set(
        (user.context.allowed_company_ids || []).map((companyId) => companyCurrencies[companyId])
    );
    return ids.size === 1 ? [...ids][0] : undefined;
}

export function isMoney(field, widget) {
    return Boolean(field) && (field.type === "monetary" || widget === "monetary");
}
