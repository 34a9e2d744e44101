/** @odoo-module **/

import { Component, onMounted, onWillUnmount, xml } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { standardWidgetProps } from "@web/views/widgets/standard_widget_props";

/** Seconds between two reads of a record whose work runs in the background. */
export const REFRESH_SECONDS = 3;
const WAITING = ["queued", "running"];

/**
 * Work that runs in the background (a large payout's Compute, Confirm or
 * Mark as Paid, a background job) ends while its form is open: the form reads
 * its record again every few seconds while the state field says the work
 * waits or runs, so its progress and its end show without a reload. Nothing
 * is read once the work has ended, nor while the user edits the record.
 *
 *     <widget name="everyone_sells_refresh_while_running" state_field="state"/>
 */
export class RefreshWhileRunning extends Component {
    static template = xml`<span class="d-none"/>`;
    static props = { ...standardWidgetProps, stateField: { type: String } };

    setup() {
        let timer;
        onMounted(() => {
            timer = setInterval(() => this.refresh(), REFRESH_SECONDS * 1000);
        });
        onWillUnmount(() => clearInterval(timer));
    }

    refresh() {
        const record = this.props.record;
        if (record.isNew || record.dirty || !WAITING.includes(record.data[this.props.stateField])) {
            return;
        }
        record.load();
    }
}

export const refreshWhileRunning = {
    component: RefreshWhileRunning,
    extractProps: ({ attrs }) => ({ stateField: attrs.state_field }),
};

registry.category("view_widgets").add("everyone_sells_refresh_while_running", refreshWhileRunning);
