"""Regenerate the translation template from a running Odoo and bring ja.po in step.

    python tools/update_i18n.py NEW_POT     # from the addon's folder

NEW_POT is the template Odoo exports for the addon (on a database that has it
installed):

    odoo-bin -c odoo.conf -d DB --i18n-export=/tmp/crm_everyone_sells.pot \
        --modules=crm_everyone_sells --stop-after-init

ja.po keeps one entry per (context, message) — the translated one where a merge
left two — ordered and referenced as the template says; entries the template
no longer has are dropped. Prints what still has no Japanese.
"""

import pathlib
import shutil
import sys

import polib

ADDON = pathlib.Path(__file__).resolve().parent.parent


def main(new_pot):
    template = polib.pofile(new_pot)
    shutil.copy(new_pot, ADDON / "i18n/crm_everyone_sells.pot")
    japanese = polib.pofile(ADDON / "i18n/ja.po")
    known = {}
    for entry in japanese:
        if entry.obsolete:
            continue
        key = (entry.msgctxt, entry.msgid)
        if entry.msgstr and (key not in known or "fuzzy" in known[key].flags):
            known[key] = entry
    result = polib.POFile(wrapwidth=78)
    result.metadata = japanese.metadata
    result.header = japanese.header
    missing = []
    for entry in template:
        translated = known.get((entry.msgctxt, entry.msgid))
        entry.msgstr = translated.msgstr if translated else ""
        if not translated:
            missing.append(entry.msgid)
        result.append(entry)
    result.save(ADDON / "i18n/ja.po")
    for msgid in missing:
        print(f"no Japanese: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
