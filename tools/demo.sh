#!/usr/bin/env bash
# A demo server: the addon with its Japanese demo data on a local database,
# at http://localhost:8069 (log in as admin / admin, or as an employee, see README).
set -euo pipefail
# shellcheck source=tools/lib.sh
source "$(dirname "$0")/lib.sh"

require_odoo
require_postgres
# grep without -q: with pipefail, grep -q leaving early fails fc-list (SIGPIPE).
if ! command -v wkhtmltopdf >/dev/null || ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then
    log "Installing wkhtmltopdf and a Japanese font for the PDF statements (Debian packages)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wkhtmltopdf fonts-noto-cjk >/dev/null
fi
DB=${ES_DEMO_DB:-everyone_sells_demo}
PARENT=$(mktemp -d "${TMPDIR:-/tmp}/everyone-sells-demo.XXXXXX")
trap 'rm -rf "$PARENT"' EXIT
# A server follows links, so the demo runs on the checkout itself.
ln -s "$ADDON_SRC" "$PARENT/$ADDON_NAME"
ARGS=(-d "$DB" --addons-path="$ODOO_HOME/addons,$ODOO_HOME/odoo/addons,$PARENT"
      --db-filter="^$DB\$" --http-port="${ES_DEMO_PORT:-8069}" --load-language=ja_JP)
if psql -lqt | cut -d'|' -f1 | grep -qw "$DB"; then
    ARGS+=(-u "$ADDON_NAME")
else
    ARGS+=(-i "$ADDON_NAME")
fi
log "Everyone Sells demo at http://localhost:${ES_DEMO_PORT:-8069} (database $DB; Ctrl+C stops it)"
odoo_bin "${ARGS[@]}"
