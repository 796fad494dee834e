"""Where things live. Every path in the package is resolved from here, never from the cwd."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("LADDER_ROOT", PACKAGE_DIR.parent.parent)).resolve()
NOTEBOOKS_DIR = ROOT / "notebooks"
PARAMS_DIR = ROOT / "params"
DATA_DIR = ROOT / "data"
RUNS_DIR = Path(os.environ.get("LADDER_RUNS", ROOT / "runs")).resolve()
BOOK_DIR = Path(os.environ.get("LADDER_BOOK", ROOT / "book")).resolve()
