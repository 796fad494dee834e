"""The repository's own files: pyproject vs environment.yml, .gitignore, Makefile targets, CI script."""

from __future__ import annotations

import re
import subprocess

import tomllib

from ladder import paths


def test_gitignore_keeps_the_package_and_ignores_outputs():
    def ignored(path: str) -> bool:
        out = subprocess.run(["git", "-C", str(paths.ROOT), "check-ignore", "-q", "--no-index", path])
        return out.returncode == 0

    assert not ignored("lib/ladder/params.py")
    for path in (".venv/x", "runs/x", "book/x", "notebooks/10_curate.ipynb"):
        assert ignored(path), path


def test_make_help_lists_every_target():
    makefile = (paths.ROOT / "Makefile").read_text()
    phony = re.search(r"^\.PHONY: (.+)$", makefile, re.M).group(1).split()
    out = subprocess.run(["make", "-s", "-C", str(paths.ROOT), "help"], capture_output=True, text=True, check=True)
    for target in phony:
        if target != "help":
            assert re.search(rf"\b{target}\b", out.stdout), f"`make help` does not list {target}"
    for needed in ("setup", "reproduce", "smoke", "test", "bench", "book", "lint", "clean"):
        assert needed in phony


def test_ci_runs_the_readme_test_command():
    ci = (paths.ROOT / ".ci" / "run").read_text()
    readme = (paths.ROOT / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make reproduce" in readme


def test_console_script_is_declared():
    project = tomllib.loads((paths.ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["ladder"] == "ladder.cli:main"
