"""Notebooks as the runner runs them: read with jupytext, parameters inspected and executed by papermill, HTML by nbconvert.

Every notebook runs with an explicit kernel, a per-cell timeout, the project root as its working directory and
progress bars off (:data:`NOTEBOOK_ENV`)::

    from ladder.notebook import execute_notebook
    execute_notebook(Path("notebooks/40_grade.py"), out_dir, {"output_dir": str(out_dir), ...})

The notebook tools (jupytext, nbformat, papermill, nbconvert, the Jupyter kernel specs) take about 1 s to import
together, so each function imports what it uses: importing this module (and ``ladder --help``, which imports every
command's module) does not pay for them.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ladder import paths, store
from ladder.environ import environment as environment  # re-exported: the runner sets kernels' variables
from ladder.params import ParamsError

# Environment for executed notebooks: progress bars off (tables and plots, not streams).
NOTEBOOK_ENV = {
    "TQDM_DISABLE": "1",
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    # tqdm.auto warns in a kernel without ipywidgets although every bar is off (TQDM_DISABLE)
    "PYTHONWARNINGS": "ignore:IProgress not found",
}
# The kernel's own log (e.g. its notice that it talks over local TCP) would interleave with ours.
KERNEL_ARGUMENTS = ["--log-level=ERROR"]


class StageFailed(RuntimeError):
    """A notebook cell raised; the message points at the executed notebook that shows where."""


def ensure_kernel(name: str) -> None:
    """Register a Jupyter kernel ``name`` for this Python inside its prefix if none exists (``make setup`` does too)."""
    from ipykernel.kernelspec import install as install_kernel  # notebook tools: see the module docstring
    from jupyter_client.kernelspec import KernelSpecManager

    if name in KernelSpecManager().find_kernel_specs():
        return
    install_kernel(kernel_name=name, display_name=name, prefix=sys.prefix)


def read_notebook(path: Path):
    """Read a jupytext percent-format notebook source."""
    import jupytext  # notebook tools: see the module docstring

    if not path.is_file():
        raise FileNotFoundError(f"{path}: notebook not found")
    return jupytext.read(path)


def declared_parameters(nb) -> dict[str, dict[str, Any]]:
    """The names papermill finds in the notebook's ``parameters`` cell (name -> {inferred_type_name, default, help})."""
    import nbformat  # notebook tools: see the module docstring
    import papermill

    tags = [c.metadata.get("tags", []) for c in nb.cells]
    count = sum("parameters" in t for t in tags)
    if count != 1:
        raise ValueError(f"notebook must have exactly one cell tagged 'parameters', found {count}")
    if not nb.metadata.get("kernelspec"):  # papermill needs one to infer the parameters' language
        nb.metadata["kernelspec"] = {"name": "ladder", "display_name": "ladder", "language": "python"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "nb.ipynb"
        nbformat.write(nb, path)
        return papermill.inspect_notebook(str(path))


def refuse_undeclared(notebook: Path, declared: Mapping[str, Any], parameters: Mapping[str, Any]) -> None:
    """Refuse parameters the notebook does not declare (papermill itself only warns)."""
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ParamsError(
            f"{notebook}: parameter(s) {', '.join(unknown)} not declared in its parameters cell. "
            f"Declared: {', '.join(sorted(declared))}"
        )


def to_html(ipynb: Path, html: Path, exclude_input: bool = False) -> Path:
    """Render an executed notebook to a standalone HTML file (figures embedded)."""
    import nbformat  # notebook tools: see the module docstring
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = exclude_input
    exporter.log.setLevel("ERROR")  # figures have no alt text; nbconvert warns once per notebook
    body, _ = exporter.from_notebook_node(nbformat.read(ipynb, as_version=4))
    return store.atomic_write(html, lambda tmp: tmp.write_text(body, encoding="utf-8"))


def execute_notebook(
    notebook: Path,
    output_dir: Path,
    parameters: Mapping[str, Any],
    kernel: str = "ladder",
    cell_timeout_s: int = 600,
    render_html: bool = True,
    exclude_input: bool = False,
    log_output: bool = False,
) -> Path:
    """Execute one jupytext notebook with papermill into ``output_dir/notebook.ipynb`` (+ ``notebook.html``).

    Raises :class:`ParamsError` for an undeclared parameter before starting a kernel, and
    :class:`StageFailed` when a cell raises (the executed notebook and its HTML are still written).
    """
    import nbformat  # notebook tools: see the module docstring
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook, output_dir = Path(notebook), Path(output_dir)
    nb = read_notebook(notebook)
    refuse_undeclared(notebook, declared_parameters(nb), parameters)
    ensure_kernel(kernel)
    output_dir.mkdir(parents=True, exist_ok=True)
    source = output_dir / ".notebook.source.ipynb"
    nbformat.write(nb, source)
    executed = output_dir / "notebook.ipynb"
    error: Exception | None = None
    try:
        with environment(NOTEBOOK_ENV):
            papermill.execute_notebook(
                str(source),
                str(executed),
                parameters=dict(parameters),
                kernel_name=kernel,
                cwd=str(paths.ROOT),
                execution_timeout=cell_timeout_s,
                progress_bar=False,
                log_output=log_output,
                extra_arguments=KERNEL_ARGUMENTS,
            )
    except PapermillExecutionError as exc:
        error = exc
    finally:
        source.unlink(missing_ok=True)
    if render_html and executed.is_file():
        to_html(executed, output_dir / "notebook.html", exclude_input=exclude_input)
    if error is not None:
        summary = f"{error.ename}: {error.evalue}"
        raise StageFailed(f"{notebook.name} failed in cell {error.exec_count}: {summary} (see {executed})") from None
    return executed
