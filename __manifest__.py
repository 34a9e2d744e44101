{
    "name": "Everyone Sells (全員営業)",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Every employee logs what customers say; sales turns it into "
    "opportunities with the origin kept",
    "author": "Everyone Sells contributors",
    "license": "LGPL-3",
    "depends": ["crm", "hr", "gamification"],
    "data": [
        "security/crm_everyone_sells_security.xml",
        "security/ir.model.access.csv",
        "data/crm_signal_type_data.xml",
        "data/crm_signal_channel_data.xml",
        "data/mail_data.xml",
        "wizards/crm_signal_handoff_views.xml",
        "wizards/crm_signal_decline_views.xml",
        "views/crm_signal_views.xml",
        "views/crm_signal_type_views.xml",
        "views/crm_signal_channel_views.xml",
        "views/crm_contribution_program_views.xml",
        "views/crm_lead_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/crm_everyone_sells_menus.xml",
    ],
    "demo": [
        "data/crm_everyone_sells_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_everyone_sells/static/src/js/tours/*.js",
        ],
    },
    "application": True,
}
