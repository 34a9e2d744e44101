import importlib.util
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from odoo.tests import BaseCase, tagged

ADDON_DIR = Path(__file__).resolve().parent.parent


@tagged("post_install", "-at_install")
class TestWheel(BaseCase):
    """``pip wheel .`` builds the addon as OCA ships addons: a wheel named
    odoo_addon_crm_everyone_sells-18.0.x.y.z that depends on Odoo 18.0, puts
    the addon under odoo/addons/ and carries nothing that is not the addon.

    Offline and quick: the build backend (whool) comes from the virtualenv
    (requirements-test.txt), not from an index."""

    def test_the_wheel_is_the_addon(self):
        if importlib.util.find_spec("whool") is None:
            self.skipTest("whool is not installed (pip install -r requirements-test.txt)")
        if not (ADDON_DIR / "pyproject.toml").exists():
            self.skipTest("the addon was installed from a wheel: there is no source to build")
        with tempfile.TemporaryDirectory() as tmp:
            # A folder not named after the addon: the wheel's name must not
            # depend on what the clone was called.
            source = Path(tmp, "a-clone")
            shutil.copytree(
                ADDON_DIR,
                source,
                ignore=shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", "build"),
            )
            dist = Path(tmp, "dist")
            pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index"]
            subprocess.run(
                [
                    *pip_wheel,
                    "--no-build-isolation",
                    "--quiet",
                    "--wheel-dir",
                    str(dist),
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
            (wheel,) = dist.glob("*.whl")
            self.assertRegex(
                wheel.name,
                r"^odoo_addon_crm_everyone_sells-18\.0\.\d+\.\d+\.\d+[.\w]*-py3-none-any\.whl$",
            )
            with zipfile.ZipFile(wheel) as archive:
                names = archive.namelist()
                (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
                metadata = archive.read(metadata).decode()
        addon = "odoo/addons/crm_everyone_sells/"
        for expected in ("__manifest__.py", "__init__.py", "models/crm_signal.py"):
            self.assertIn(addon + expected, names)
        self.assertIn(addon + "static/description/index.html", names)
        for outside in (".ci/", "bench/", "tools/", "docs/", "pyproject.toml"):
            self.assertFalse(
                [n for n in names if n.startswith(addon + outside)],
                f"{outside} is not the addon and has no place in the wheel",
            )
        self.assertFalse([n for n in names if "__pycache__" in n])
        self.assertFalse(
            [n for n in names if not n.startswith((addon, "odoo_addon_crm_everyone_sells-"))],
            "nothing outside odoo/addons/crm_everyone_sells and the wheel's metadata",
        )
        self.assertIn("Name: odoo-addon-crm_everyone_sells", metadata)
        # Odoo 18.0 and nothing newer (whool writes it as odoo==18.0.*).
        self.assertRegex(metadata, r"Requires-Dist: odoo(==18\.0\.\*|>=18\.0a,<18\.1dev)")


@tagged("post_install", "-at_install")
class TestTestModules(BaseCase):
    def test_odoos_runner_runs_every_test_module(self):
        """pytest finds tests/test_*.py by name; Odoo's runner only what
        tests/__init__.py imports. A module left out would pass under one
        runner and never run under the other."""
        tests = Path(__file__).parent
        imported = set(
            re.findall(r"^from \. import (\w+)$", (tests / "__init__.py").read_text(), re.M)
        )
        self.assertEqual({path.stem for path in tests.glob("test_*.py")} - imported, set())


# One concern per file (issue 24): a model file that outgrows this holds
# more than one concern; reopen the model in a file of the new concern.
MAX_MODEL_FILE_LINES = 700


@tagged("post_install", "-at_install")
class TestOneConcernPerFile(BaseCase):
    def test_no_model_file_over_700_lines(self):
        models = Path(__file__).parent.parent / "models"
        long = {
            path.name: lines
            for path in models.glob("*.py")
            if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODEL_FILE_LINES
        }
        self.assertEqual(long, {})
