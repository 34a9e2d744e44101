"""Lint the translations, as Odoo's exporter will read them.

- Every Python file's terms must be extractable by Babel with Odoo's keywords
  (``_``, ``_lt``): a call that holds an f-string makes Babel drop the whole
  file from the ``.pot``, silently leaving its strings in English.
- Every entry of the template must have a Japanese translation in ja.po.

    python tools/check_i18n.py            # from the addon's folder
"""

import pathlib
import sys

import polib
from babel.messages import extract

ADDON = pathlib.Path(__file__).resolve().parent.parent
KEYWORDS = {"_": None, "_lt": None}


def main():
    problems = []
    for path in sorted(ADDON.rglob("*.py")):
        if {"bench", "tools", ".git"} & set(path.relative_to(ADDON).parts):
            continue
        with path.open("rb") as source:
            try:
                list(extract.extract("python", source, keywords=KEYWORDS))
            except Exception as error:
                problems.append(f"{path.relative_to(ADDON)}: Babel cannot extract it ({error})")
    template = {(e.msgctxt, e.msgid) for e in polib.pofile(ADDON / "i18n/crm_everyone_sells.pot")}
    japanese = {
        (e.msgctxt, e.msgid): e.msgstr
        for e in polib.pofile(ADDON / "i18n/ja.po")
        if not e.obsolete and "fuzzy" not in e.flags
    }
    missing = [msgid for key in template if (msgid := key[1]) and not japanese.get(key)]
    problems += [f"i18n/ja.po: no Japanese for {msgid!r}" for msgid in sorted(missing)]
    for problem in problems:
        sys.stderr.write(problem + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
