"""Static checks on every stage notebook: header, one parameters cell, no def/class (its parameters: test_stage_cli)."""

from __future__ import annotations

import ast
import re

import pytest

from ladder import paths
from ladder.run import read_notebook
from ladder.stages import STAGES

NOTEBOOKS = sorted(paths.NOTEBOOKS_DIR.glob("*.py"))
STAGE_BY_NOTEBOOK = {s.notebook: s for s in STAGES.values()}


def test_every_notebook_is_a_stage():
    for nb in NOTEBOOKS:
        assert nb.stem in STAGE_BY_NOTEBOOK, f"{nb.name} is not registered in ladder.stages.STAGES"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_conventions(path):
    text = path.read_text()
    assert text.startswith("# ---\n# jupyter:"), "jupytext header missing"
    assert "cell_metadata_filter: tags,-all" in text and "name: ladder" in text
    assert len(re.findall(r'^# %%.*tags=\["parameters"\]', text, re.M)) == 1
    tree = ast.parse(text)
    defs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)]
    assert not defs, f"define functions in lib/ladder, not in notebooks: {[d.name for d in defs]}"
    nb = read_notebook(path)
    assert nb.cells[0].cell_type == "markdown", "the first cell is a markdown title"
    assert "from_namespace(" in text, "the notebook must validate its parameters through ladder.params"
