"""SLURM scripts: the templates in ``configs/slurm/`` and the one function that renders them.

``ladder.launch`` renders the runner's scripts (``array.sbatch``: a job array over a profile's experiments;
``panel.sbatch``: the panel stages and the book, after them; ``sample.sbatch``: sampling and grading of one
experiment on one node); ``ladder.train.launch`` renders
``train.sbatch`` (one training run across nodes, outside the runner). This module stays apart from
``ladder.launch``, which imports the runner, so that the train stage's code hash (every ladder module its
notebook imports, see ``ladder.store.code_files``) does not cover the runner and the book.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from ladder import paths

SLURM_DIR = paths.ROOT / "configs" / "slurm"
ARRAY_TEMPLATE = SLURM_DIR / "array.sbatch"
SAMPLE_TEMPLATE = SLURM_DIR / "sample.sbatch"
PANEL_TEMPLATE = SLURM_DIR / "panel.sbatch"
TRAIN_TEMPLATE = SLURM_DIR / "train.sbatch"


def render_template(template: Path, **values) -> str:
    """Render a SLURM template with ``values`` and ``root``: the project folder (quoted) every script changes to.

    A value the template names but is not given is an error, not an empty string.
    """
    import jinja2  # jinja2: only when rendering scripts, not on every `import ladder.train`

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(template.read_text()).render(root=shlex.quote(str(paths.ROOT)), **values)
