"""PEP 517 build backend: OCA's ``whool``, with two things an addon at the
root of its repository needs and whool 1.3 has no option for.

- The wheel's name comes from the manifest's folder name in whool. A clone
  may be called anything (``everyone-sells``, a CI work tree), so the
  distribution is always ``odoo-addon-crm_everyone_sells`` and the addon
  lands under ``odoo/addons/crm_everyone_sells``.
- whool packs every file under git control. This repository also holds the
  benchmark, the tools, the CI and the guides, which are not the addon:
  ``[tool.whool-exclude] exclude`` in pyproject.toml lists the top-level
  paths left out of the wheel (the sdist keeps them, to build from).

Everything else (version from the manifest and git, dependencies on Odoo
18.0 and the other addons, metadata) is whool's, unchanged.
"""

import shutil
from pathlib import Path

from whool import buildapi
from whool.buildapi import (  # noqa: F401 (re-exported PEP 517 hooks)
    build_sdist,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)
from whool.utils import load_pyproject_toml

ADDON_NAME = "crm_everyone_sells"

_whool_get_metadata = buildapi._get_metadata
_whool_copy_to = buildapi._copy_to


def _get_metadata(addon_dir):
    metadata = _whool_get_metadata(addon_dir)
    name = metadata["Name"]
    if not name.endswith("-" + ADDON_NAME):
        del metadata["Name"]
        metadata["Name"] = name.rsplit("-addon-", 1)[0] + "-addon-" + ADDON_NAME
    return metadata


def _excluded(addon_dir):
    options = load_pyproject_toml(addon_dir).get("tool", {}).get("whool-exclude", {})
    return [entry.strip("/") for entry in options.get("exclude", [])]


def _copy_to_without_excluded(addon_dir, dst):
    _whool_copy_to(addon_dir, dst)
    # Outside git (a copied tree) whool copies everything: drop caches too.
    for cache in [*dst.rglob("__pycache__"), *dst.rglob(".pytest_cache")]:
        shutil.rmtree(cache, ignore_errors=True)
    for entry in _excluded(addon_dir):
        path = dst / entry
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


buildapi._get_metadata = _get_metadata


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    buildapi._copy_to = _copy_to_without_excluded
    try:
        return buildapi._build_wheel(Path.cwd(), Path(wheel_directory), editable=False)
    finally:
        buildapi._copy_to = _whool_copy_to


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    return buildapi._build_wheel(Path.cwd(), Path(wheel_directory), editable=True)
