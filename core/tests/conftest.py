import pathlib
import sys

# The core is imported on its own, without the addon (and so without Odoo).
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))
