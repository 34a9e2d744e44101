# Shared by tools/demo.sh and tools/test.sh: find Odoo 18.0,
# start PostgreSQL, and lay the addon out under the folder name Odoo expects.
# shellcheck shell=bash

ADDON_NAME=crm_everyone_sells
ADDON_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ODOO_HOME=${ODOO_HOME:-/opt/odoo/18.0}
ODOO_PYTHON=${ODOO_PYTHON:-$ODOO_HOME/.venv/bin/python}

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

require_odoo() {
    if [ ! -e "$ODOO_HOME/odoo-bin" ] && [ "${ES_NO_INSTALL:-}" != 1 ]; then
        log "No Odoo 18.0 server at $ODOO_HOME: installing one (tools/install-odoo.sh; ES_NO_INSTALL=1 skips this)"
        ODOO_HOME=$ODOO_HOME bash "$ADDON_SRC/tools/install-odoo.sh" \
            || die "No Odoo 18.0 server found at $ODOO_HOME, and installing one failed (output above; set ODOO_HOME to your Odoo 18.0 source tree, or ODOO_GIT_URL to a reachable copy of Odoo)."
    fi
    [ -f "$ODOO_HOME/odoo-bin" ] && [ -f "$ODOO_HOME/odoo/release.py" ] \
        || die "No Odoo 18.0 server found: looked for $ODOO_HOME/odoo-bin (set ODOO_HOME to your Odoo 18.0 source tree)."
    [ -x "$ODOO_PYTHON" ] \
        || die "No Python for Odoo found: looked for $ODOO_PYTHON (set ODOO_PYTHON, or create the virtualenv $ODOO_HOME/.venv with Odoo's requirements)."
    local version
    version=$(cd "$ODOO_HOME" && "$ODOO_PYTHON" -c 'from odoo import release; print(release.serie)' 2>/dev/null) \
        || die "Odoo at $ODOO_HOME does not import with $ODOO_PYTHON."
    [ "$version" = "18.0" ] || die "Odoo at $ODOO_HOME is $version, not 18.0."
}

as_postgres() { runuser -u postgres -- "$@"; }

require_postgres() {
    if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        log "Installing PostgreSQL (Debian packages)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    fi
    if ! pg_lsclusters -h | grep -q online; then
        local cluster
        cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
        if [ -z "$cluster" ]; then
            local version
            version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
            pg_createcluster "$version" main >/dev/null
            cluster="$version main"
        fi
        log "Starting PostgreSQL $cluster"
        # shellcheck disable=SC2086
        pg_ctlcluster $cluster start
    fi
    local me
    me=$(id -un)
    if ! as_postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$me'" postgres | grep -q 1; then
        as_postgres createuser --superuser "$me"
    fi
}

require_packages() {
    # Everything the tests and linters need besides Odoo, in Odoo's own virtualenv.
    "$ODOO_PYTHON" -m pip install -q --disable-pip-version-check -r "$ADDON_SRC/requirements-test.txt"
}

# Copy the checkout to a folder named after the addon (a copy, not a link:
# pytest-odoo resolves links and then cannot import the tests).
stage_addon() {
    local parent
    parent=$(mktemp -d "${TMPDIR:-/tmp}/everyone-sells-addons.XXXXXX")
    mkdir "$parent/$ADDON_NAME"
    tar -C "$ADDON_SRC" --exclude=.git --exclude=__pycache__ --exclude=.pytest_cache -cf - . \
        | tar -C "$parent/$ADDON_NAME" -xf -
    echo "$parent"
}

odoo_bin() {
    (cd "$ODOO_HOME" && "$ODOO_PYTHON" odoo-bin "$@")
}
