"""Write environment.yml from pyproject.toml so conda users install the same set (tests/test_packaging.py checks).

.venv/bin/python scripts/sync_environment.py
"""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def render() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    lines = [
        "# conda env for the ladder book; generated from pyproject.toml by scripts/sync_environment.py.",
        "# CPU machines: install torch==2.13.0 first (see README); GPU machines add `pip install -e .[gpu]`.",
        "name: ladder",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
        *[f'      - "{d}"' for d in deps],
        '      - "-e ."',
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    (ROOT / "environment.yml").write_text(render())
    print("wrote environment.yml")
