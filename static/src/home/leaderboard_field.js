import { Component } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * The Home screen's leaderboard: the month's top participants, given by the
 * server as data (rank, name, points) and rendered here, never as HTML.
 */
export class LeaderboardField extends Component {
    static template = "crm_everyone_sells.LeaderboardField";
    static props = { ...standardFieldProps };

    get rows() {
        return this.props.record.data[this.props.name] || [];
    }

    formatPoints(points) {
        // As every screen shows points (core/money.py format_points).
        return points.toLocaleString(undefined, {
            minimumFractionDigits: 2,
            maximumFractionDigits: 2,
        });
    }
}

export const leaderboardField = {
    component: LeaderboardField,
    supportedTypes: ["json"],
};

registry.category("fields").add("everyone_sells_leaderboard", leaderboardField);
