"""The tests run the same in any clone: the benchmark files they read are in the project, nothing reads ../shared."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Where code, tests, benchmarks and params live (README.md and docs/ may name the workspace's folders in prose).
SEARCHED = ["tests", "lib", "bench", "scripts", "notebooks", "params", "configs", ".ci", "Makefile", "pyproject.toml"]
SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache"}
# a folder beside the checkout that only the project's own workspace has, however it is spelt
OUTSIDE = re.compile(r"\.\.[/\\]shared\b|SHARED_DATA_DIR|parent\s*/\s*[\"']shared[\"']")


def _searched_files() -> list[Path]:
    files = []
    for name in SEARCHED:
        top = ROOT / name
        candidates = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in candidates:
            parts = set(path.relative_to(ROOT).parts)
            if (
                path.is_file()
                and not parts & SKIPPED_PARTS
                and not any(p.endswith(".egg-info") for p in parts)
                and path.suffix not in {".pyc", ".ipynb"}
            ):
                files.append(path)
    return files


def test_nothing_reads_a_folder_outside_the_checkout():
    files = _searched_files()
    assert Path(__file__).resolve() in files and len(files) > 100
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in files
        if path.resolve() != Path(__file__).resolve()  # this file spells the pattern out
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if OUTSIDE.search(line)
    ]
    assert not hits, "use the files in tests/fixtures/benchmarks (the benchmark_dir fixture):\n" + "\n".join(hits)


def test_the_pattern_catches_the_old_spellings():
    for line in ('Path("../shared/data/aime24.jsonl")', "paths.SHARED_DATA_DIR", 'ROOT.parent / "shared" / "data"'):
        assert OUTSIDE.search(line), line
    assert not OUTSIDE.search("shared_memory = True; tests/fixtures/benchmarks/aime24.jsonl")


def test_the_benchmark_files_are_in_the_project_as_their_readme_states(benchmark_dir):
    assert benchmark_dir == ROOT / "tests" / "fixtures" / "benchmarks"
    readme = (benchmark_dir / "README.md").read_text()
    stated = {m[0]: int(m[1]) for m in re.findall(r"^\| (\w+\.jsonl) \| (\d+) \|", readme, flags=re.M)}
    assert stated == {"aime24.jsonl": 30, "aime25.jsonl": 30, "aimo_validation_aime.jsonl": 35, "math500.jsonl": 50}
    for name, rows in stated.items():
        text = (benchmark_dir / name).read_text()
        lines = text.splitlines()
        assert text.endswith("\n") and len(lines) == rows, name
        assert all(isinstance(json.loads(line), dict) for line in lines), name
