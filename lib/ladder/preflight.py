"""Checks before anything is queued or run: what a stage would only find out after waiting for its allocation.

``ladder check`` and ``ladder launch`` call :func:`preflight` on a validated plan. Each problem is named by the
file:line the value came from and its key, like every params error (:class:`ladder.params.ParamsError`):

* a benchmark that is not registered (``sample.benchmark: aime42``), with the closest registered name;
* a model or tokenizer value that looks like a local path but does not exist (``sample.model: models/nope``): it
  is said to be neither a local folder nor a Hub id, instead of the Hub library's network error at run time (a
  Hub id itself is left alone: the job's node may reach the Hub where the login node does not);
* ``curate.n`` larger than its pool, where the pool's size is known without downloading (the synthetic pool, s1K's
  1,000 problems, OpenR1-Math-220k's 93,733);
* the longest prompt plus ``sample.max_new_tokens`` over the model's context, where the model is local (a folder
  with ``config.json``, a ``tiny:`` preset, or the model a train stage of the experiment starts from).

Usage::

    from ladder.preflight import preflight
    preflight(load_plan("laptop", ["base"], ["sample.benchmark=aime42"]))   # ParamsError: ...:key 'sample.benchmark'
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Mapping
from pathlib import Path

from ladder import benchmarks, paths
from ladder.benchmark_loaders import GENERATED
from ladder.params import PANEL, ParamsError, Plan, StageReference, StageRequest
from ladder.sample.requests import SampleError, prompt_token_ids, render_prompt
from ladder.tiny_model import PRESETS, TINY_PREFIX

# params naming a benchmark (one name, or a list of names), by stage
BENCHMARK_KEYS = {
    "curate": ("anchor_benchmark", "decontaminate"),
    "sample": ("benchmark",),
    "grade": ("benchmark",),
    "tiers": ("benchmark",),
    "strategies": ("benchmark",),
    "ablations": ("benchmark",),
}
MODEL_KEYS = {"curate": ("tokenizer",), "train": ("model",), "sample": ("model",)}
# problems in a source's pool read from the hub, by (source, OpenR1 config): an upper bound, filters only remove
HUB_POOLS = {("s1k", "default"): 1000, ("s1k-1.1", "default"): 1000, ("openr1", "default"): 93733}
HUB_POOL_NAMES = {"s1k": "simplescaling/s1K", "s1k-1.1": "simplescaling/s1K-1.1", "openr1": "OpenR1-Math-220k"}


def _where(req: StageRequest, key: str) -> str:
    """file:line:key of a value (``defaults`` when no file set it)."""
    return f"{req.origins.get(key, 'defaults')}: key '{req.stage}.{key}'"


def _check_benchmarks(req: StageRequest) -> list[str]:
    known = benchmarks.known_benchmarks()
    problems = []
    for key in BENCHMARK_KEYS.get(req.stage, ()):
        value = getattr(req.params, key, None)
        for name in [value] if isinstance(value, str) else list(value or []):
            if name and name not in known:
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                problems.append(
                    f"{_where(req, key)}: unknown benchmark '{name}'{hint}. Registered benchmarks: {', '.join(known)}"
                )
    return problems


def looks_local(value: str) -> bool:
    """A model value meant as a local path: absolute, ``./``/``~``, more than ``org/name``, or under a folder here."""
    if value.startswith(("/", ".", "~")) or value.count("/") > 1:
        return True
    first = value.split("/", 1)[0]
    return "/" in value and (paths.ROOT / first).is_dir()


def _as_path(value: str) -> Path:
    """A model value as a path: ``~`` expanded, relative to the project root."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else paths.ROOT / path


def _check_models(req: StageRequest) -> list[str]:
    problems = []
    for key in MODEL_KEYS.get(req.stage, ()):
        value = str(getattr(req.params, key, "") or "")
        if not value or value.startswith(("@", TINY_PREFIX)):
            continue
        local = _as_path(value)
        if local.exists():
            continue
        if looks_local(value):
            problems.append(
                f"{_where(req, key)}: '{value}' is neither a local folder (no {local}) nor a Hub id (org/name). "
                f"Give an existing folder, a Hub id, or @EXPERIMENT/train/model"
            )
    return problems


def _check_pool(req: StageRequest) -> list[str]:
    p = req.params
    if req.stage != "curate" or p.local_path:
        return []
    if p.source == "synthetic":
        pool = p.synthetic_pool_size + p.synthetic_drills + p.synthetic_worked
        what = (
            f"the synthetic pool holds {pool} problems (synthetic_pool_size {p.synthetic_pool_size} + "
            f"synthetic_drills {p.synthetic_drills} + synthetic_worked {p.synthetic_worked})"
        )
    elif (key := (p.source, p.config if p.source == "openr1" else "default")) in HUB_POOLS:
        pool = HUB_POOLS[key]
        what = f"{HUB_POOL_NAMES[p.source]} holds {pool:,} problems at most"
    else:
        return []
    if p.n <= pool:
        return []
    return [f"{_where(req, 'n')}: n={p.n} is larger than its pool: {what}"]


def _local_model(value: str) -> Path | None:
    """The folder of a model value that is local, or None (a Hub id, a tiny preset, a reference)."""
    if not value or value.startswith(("@", TINY_PREFIX)):
        return None
    path = _as_path(value)
    return path if (path / "config.json").is_file() else None


def _context(value: str, by_stage: Mapping[tuple[str, str], StageRequest], seen: int = 0) -> tuple[int, str] | None:
    """(positions, where that number comes from) of a model value that is local, following train references."""
    if value.startswith(TINY_PREFIX) and value.removeprefix(TINY_PREFIX) in PRESETS:
        return PRESETS[value.removeprefix(TINY_PREFIX)]["max_position_embeddings"], f"preset {value}"
    if value.startswith("@") and seen < 8:
        ref = StageReference.parse(value)
        train = by_stage.get((ref.experiment, "train")) if ref and ref.stage == "train" else None
        return _context(str(train.params.model), by_stage, seen + 1) if train is not None else None
    folder = _local_model(value)
    if folder is None:
        return None
    config = json.loads((folder / "config.json").read_text())
    positions = config.get("max_position_embeddings") or config.get("n_positions")
    return (int(positions), f"{folder / 'config.json'} max_position_embeddings") if positions else None


def _longest_prompt(req: StageRequest, model: str) -> int:
    """Tokens of the longest prompt as the sample stage sends it (the chat template applied when asked for), where
    the model's tokenizer and the benchmark are local; 1 where they are not."""
    folder = _local_model(model)
    p = req.params
    if folder is None or not (folder / "tokenizer.json").is_file():
        return 1
    if p.benchmark not in benchmarks.known_benchmarks():
        return 1
    if not p.benchmark_path and p.benchmark not in GENERATED:
        return 1
    try:
        frame = benchmarks.load_benchmark(p.benchmark, p.benchmark_path or None)
    except (OSError, ValueError):
        return 1
    tokenizer = _tokenizer(folder)
    try:
        prompts = {render_prompt(str(text), p, tokenizer) for text in frame["problem"]}
    except SampleError:  # no chat template: the sample stage says so itself; the plain prompt is a lower bound
        p = p.model_copy(update={"apply_chat_template": False})
        prompts = {render_prompt(str(text), p) for text in frame["problem"]}
    return max((len(ids) for ids in prompt_token_ids(sorted(prompts), p, tokenizer)), default=1)


@functools.cache
def _tokenizer(folder: Path):
    from transformers import AutoTokenizer  # seconds to import: only for a local model and a local benchmark

    return AutoTokenizer.from_pretrained(str(folder))


def _check_context(req: StageRequest, by_stage: Mapping[tuple[str, str], StageRequest]) -> list[str]:
    if req.stage != "sample" or req.params.backend == "openai":
        return []
    train = by_stage.get((req.experiment, "train"))
    model = str(train.params.model) if train is not None else str(req.params.model)
    context = _context(model, by_stage)
    if context is None:
        return []
    positions, source = context
    prompt = _longest_prompt(req, model if _local_model(model) else "")
    need = prompt + req.params.max_new_tokens
    if need <= positions:
        return []
    prompt_text = f"the longest prompt ({prompt} tokens)" if prompt > 1 else "a prompt (1 token at least)"
    return [
        f"{_where(req, 'max_new_tokens')}: max_new_tokens {req.params.max_new_tokens} + {prompt_text} = {need} "
        f"is over the model's context of {positions} positions ({source}). Lower max_new_tokens to "
        f"{max(1, positions - prompt)} or less"
    ]


def preflight(plan: Plan) -> None:
    """Raise :class:`ParamsError` listing every problem above in ``plan``, each named file:line:key."""
    by_stage = {(r.experiment, r.stage): r for r in plan.requests}
    problems: list[str] = []
    for req in plan.requests:
        problems += _check_benchmarks(req)
        if req.experiment != PANEL:
            problems += _check_models(req) + _check_pool(req) + _check_context(req, by_stage)
    if problems:
        raise ParamsError("params that would fail at run time:\n  " + "\n  ".join(dict.fromkeys(problems)))
