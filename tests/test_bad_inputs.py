"""Bad input, one row each: every error names the file, the line (where there is one) and the key or column.

The table covers params files (profiles, experiments), ``--set`` overrides, the stage commands' ``--params`` and
per-field flags, the other command-line arguments, and input files (parquet tables, result logs, the claims file).
Each case writes real files under ``tmp_path`` and calls a real entry point (``ladder.cli.main`` with argv,
``load_plan`` with a params folder, ``schema.read_table``, ``read_results``, ``load_graded``, ``load_claims``); it
passes when the message holds every expected piece, so a message without the location fails it. A command's
error must have the one form ``ladder COMMAND: error: MESSAGE`` and exit code 2.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from ladder import cli, schema
from ladder.findings import load_claims
from ladder.findings.claims import CLAIMS_FILE
from ladder.ingest import read_results
from ladder.params import load_plan
from ladder.preflight import preflight
from ladder.released_models import load_released_models
from ladder.tiers import load_graded
from tests.fixtures import stages as fx
from tests.simulated_panel import simulate_graded

# --- entry points ---------------------------------------------------------------------------------------------

# The fixture book (make -> double per experiment, total over them): profile p runs experiment a.
FIXTURE_FILES = {
    "profiles/p.yaml": "experiments: [a]\npanel: [total]\ncommon:\n  value: 7\ndouble:\n  factor: 3\n",
    "experiments/a.yaml": "stages: [make, double]\nmake:\n  sleep_s: 0.5\n",
    "experiments/sub/b.yaml": "stages: [make]\ncommon:\n  value: 9\n",
}


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text) if isinstance(text, bytes) else path.write_text(text)
    return root


def error_of(call: Callable[[], object]) -> str:
    """The message of the error ``call`` raises (any ValueError or OSError: the errors of bad input)."""
    try:
        call()
    except (ValueError, OSError) as exc:
        return str(exc)
    pytest.fail("no error raised")


def fixture_plan(files: dict[str, str | bytes], experiments=None, overrides=(), profile="p") -> Callable[[Path], str]:
    """The error of ``load_plan`` on the fixture book with ``files`` written over it."""

    def run(tmp: Path) -> str:
        root = write(tmp / "params", {**FIXTURE_FILES, **files})
        return error_of(lambda: load_plan(profile, experiments, list(overrides), stages=fx.STAGES, params_dir=root))

    return run


def real_plan(files: dict[str, str], overrides=()) -> Callable[[Path], str]:
    """The error of ``load_plan`` with the project's stages (their own params models and checks)."""

    def run(tmp: Path) -> str:
        root = write(tmp / "params", {"profiles/p.yaml": "experiments: [a]\n", **files})
        return error_of(lambda: load_plan("p", None, list(overrides), params_dir=root))

    return run


def checked_plan(files: dict[str, str], overrides=()) -> Callable[[Path], str]:
    """The error of ``ladder check``'s checks before running (``load_plan`` then ``preflight``), project stages."""

    def run(tmp: Path) -> str:
        root = write(tmp / "params", {"profiles/p.yaml": "experiments: [a]\n", **files})
        return error_of(lambda: preflight(load_plan("p", None, list(overrides), params_dir=root)))

    return run


def command(*argv: str, files: dict[str, str | bytes] | None = None) -> Callable[[Path], str]:
    """stderr of ``ladder ARGV`` (``{tmp}`` in an argument is the test's folder), checked for the one error form."""

    def run(tmp: Path) -> str:
        write(tmp, files or {})
        args = in_tmp(list(argv), tmp)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(args)
        text = err.getvalue()
        assert code == 2 and text.startswith(f"ladder {args[0]}: error: "), f"exit {code}, stderr {text!r}"
        return text

    return run


def in_tmp(value, tmp: Path):
    """``value`` with ``{tmp}`` replaced by the test's folder (in a text or in the texts of a list)."""
    if isinstance(value, list):
        return [in_tmp(v, tmp) for v in value]
    return value.replace("{tmp}", str(tmp)) if isinstance(value, str) else value


def call(function: Callable[..., object], *args: str, files: dict[str, str | bytes] | None = None, **kwargs):
    """The error of ``function(*args, **kwargs)``; ``{tmp}`` in a text argument is the test's folder."""

    def run(tmp: Path) -> str:
        write(tmp, files or {})
        given = [in_tmp(a, tmp) for a in args]
        return error_of(lambda: function(*given, **kwargs))

    return run


# --- input files ----------------------------------------------------------------------------------------------


def graded_panel(tmp: Path, name: str = "graded.parquet", change=None, models=("base", "sft")) -> Path:
    """A small graded table of AIME24 questions 60..63 (4 samples each), ``change``-d before it is written."""
    frame = simulate_graded(dict.fromkeys(models, 0.0), {q: 0.0 for q in ("60", "61", "62", "63")}, 4)
    frame = change(frame) if change else frame
    path = tmp / name
    frame.to_parquet(path, index=False)
    return path


def with_graded(run: Callable[[Path], str], name: str = "graded.parquet", **kwargs) -> Callable[[Path], str]:
    def wrapped(tmp: Path) -> str:
        graded_panel(tmp, name, **kwargs)
        return run(tmp)

    return wrapped


def torn(tmp: Path) -> str:
    whole = graded_panel(tmp, "whole.parquet").read_bytes()
    (tmp / "torn.parquet").write_bytes(whole[: len(whole) // 2])
    return error_of(lambda: schema.read_table(tmp / "torn.parquet", graded=True))


def lm_eval_line(doc_id: int = 0, qid: int = 60, answer: str = "204", resps=None, **extra) -> str:
    doc = {"id": qid, "problem": "p", "answer": answer, "url": ""}
    record = {"doc_id": doc_id, "doc": doc, "target": answer, "resps": resps or [["\\boxed{204}"]], "arguments": {}}
    return json.dumps({**record, **extra}) + "\n"


LOG = "org__model/samples_aime24_2025-01-01T00-00-00.jsonl"


def ingest(text: str) -> Callable[[Path], str]:
    return call(read_results, ["{tmp}/" + LOG], "lm-eval", files={LOG: text})


def claims(old: str, new: str) -> Callable[[Path], str]:
    def run(tmp: Path) -> str:
        text = CLAIMS_FILE.read_text()
        assert old in text
        (tmp / "claims.yaml").write_text(text.replace(old, new, 1))
        return error_of(lambda: load_claims(tmp / "claims.yaml"))

    return run


def claims_line(text: str) -> int:
    """The line of the claims file that starts with ``text`` (after indentation)."""
    return next(i for i, line in enumerate(CLAIMS_FILE.read_text().splitlines(), 1) if line.strip().startswith(text))


# --- the table ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # profile | experiment | override | stage command | command line | input file
    run: Callable[[Path], str]  # writes the bad input under tmp_path and returns the error message
    expect: tuple[str, ...]  # pieces the message must hold: file:line, key or column, what is wrong


SAMPLE_TWICE = "sample:\n  n: 8\n  n: 4\n"
SAMPLE_BAD = "sample:\n  seed: 1\n  n: 0\n  temperature: -1\n"
TAG = "sample:\n  n: 2\n  model: !!python/object/apply:os.system ['echo hi']\n"

CASES = [
    # profiles
    Case(
        "profile typo at top",
        "profile",
        fixture_plan({"profiles/p.yaml": "experiments: [a]\ndubble:\n  factor: 2\n"}),
        ("p.yaml:2: unknown key 'dubble'", "did you mean 'double'"),
    ),
    Case(
        "profile wrong type",
        "profile",
        fixture_plan({"profiles/p.yaml": "experiments: [a]\ndouble:\n  factor: three\n"}),
        ("p.yaml:3: key 'factor'", "valid integer", "'three'"),
    ),
    Case(
        "profile key twice",
        "profile",
        fixture_plan({"profiles/p.yaml": "experiments: [a]\ndouble:\n  factor: 2\n  factor: 4\n"}),
        ("p.yaml:4: key 'double.factor' given twice (first at line 3)",),
    ),
    Case(
        "profile top key twice",
        "profile",
        fixture_plan({"profiles/p.yaml": "experiments: [a]\nexperiments: [b]\n"}),
        ("p.yaml:2: key 'experiments' given twice (first at line 1)",),
    ),
    Case(
        "profile runner typo",
        "profile",
        fixture_plan({"profiles/p.yaml": "experiments: [a]\nrunner:\n  wokers: 2\n"}),
        ("p.yaml:3: unknown key 'runner.wokers'", "did you mean 'workers'"),
    ),
    Case(
        "profile runner bad value",
        "profile",
        fixture_plan({"profiles/p.yaml": "experiments: [a]\nrunner:\n  workers: 0\n"}),
        ("p.yaml:3: key 'workers'", "greater than or equal to 1", "(got 0)"),
    ),
    Case(
        "profile panel not a panel stage",
        "profile",
        fixture_plan({"profiles/p.yaml": "experiments: [a]\npanel: [make]\n"}),
        ("p.yaml:2: 'make' is not a panel stage",),
    ),
    Case(
        "profile experiments not a list",
        "profile",
        fixture_plan({"profiles/p.yaml": "experiments: a\n"}),
        ("p.yaml:1: 'experiments' must be a list of names",),
    ),
    Case(
        "profile block not a mapping",
        "profile",
        fixture_plan({"profiles/p.yaml": "experiments: [a]\ndouble: 3\n"}),
        ("p.yaml:2: 'double' must be a block of 'key: value' lines",),
    ),
    Case(
        "profile YAML tag",
        "profile",
        fixture_plan({"profiles/p.yaml": "experiments: [a]\ncommon:\n  value: !!python/name:os.system\n"}),
        ("p.yaml:3: not valid YAML", "python/name:os.system", "YAML tags are not allowed"),
    ),
    Case(
        "profile missing",
        "profile",
        fixture_plan({}, profile="q"),
        ("profile 'q': no file", "profiles/q.yaml", "Known profiles: p"),
    ),
    Case(
        "profile cross-field check (tiers)",
        "profile",
        real_plan({"profiles/p.yaml": "panel: [tiers]\ntiers:\n  ks: [1, 0]\n"}),
        ("p.yaml:3: key 'ks'", "every k must be >= 1"),
    ),
    Case(
        "profile threshold out of range",
        "profile",
        real_plan({"profiles/p.yaml": "panel: [tiers]\ntiers:\n  seed: 1\n  easy_threshold: 1.5\n"}),
        ("p.yaml:4: key 'easy_threshold'", "[0, 1], got 1.5"),
    ),
    Case(
        "profile strategies judge and tiers",
        "profile",
        real_plan(
            {"profiles/p.yaml": "panel: [tiers, strategies]\nstrategies:\n  judge: gpt-4o\n  judge_tiers: [hrad]\n"}
        ),
        ("p.yaml:3: key 'judge'", "expected '' (off) or 'openai:MODEL'", "p.yaml:4: key 'judge_tiers'", "['hrad']"),
    ),
    Case(
        "claims strategy bar out of range",
        "input file",
        claims("judge_min: 4.0  #", "judge_min: 40  #"),
        (
            f"claims.yaml:{claims_line('judge_min: 4.0')}: key 'findings.5.thresholds.judge_min'",
            "less than or equal to 5",
        ),
    ),
    # experiments
    Case(
        "experiment typo at top",
        "experiment",
        fixture_plan({"experiments/a.yaml": "stages: [make]\nmkae:\n  value: 1\n"}),
        ("a.yaml:2: unknown key 'mkae'", "did you mean 'make'"),
    ),
    Case(
        "experiment typo in a block",
        "experiment",
        fixture_plan({"experiments/a.yaml": "stages: [make]\nmake:\n  valeu: 3\n"}),
        ("a.yaml:3: unknown key 'make.valeu'", "did you mean 'value'", "Accepted keys: fail, sleep_s"),
    ),
    Case(
        "experiment common typo",
        "experiment",
        fixture_plan({"experiments/a.yaml": "stages: [make]\ncommon:\n  nope: 1\n"}),
        ("a.yaml:3: unknown key 'common.nope'",),
    ),
    Case(
        "experiment key twice (flow)",
        "experiment",
        fixture_plan({"experiments/a.yaml": "stages: [make]\nmake: {value: 1, value: 2}\n"}),
        ("a.yaml:2: key 'make.value' given twice (first at line 2)",),
    ),
    Case(
        "experiment sample n twice",
        "experiment",
        real_plan({"experiments/a.yaml": "stages: [sample]\n" + SAMPLE_TWICE}),
        ("a.yaml:4: key 'sample.n' given twice (first at line 3)",),
    ),
    Case(
        "experiment cross-field check (sample)",
        "experiment",
        real_plan({"experiments/a.yaml": "stages: [sample]\n" + SAMPLE_BAD}),
        ("a.yaml:4: key 'n': n must be >= 1 (got 0)", "a.yaml:5: key 'temperature': temperature must be >= 0"),
    ),
    Case(
        "experiment cross-field check over two files (curate)",
        "experiment",
        real_plan(
            {
                "profiles/p.yaml": "experiments: [a]\ncurate:\n  length: long\n",
                "experiments/a.yaml": "stages: [curate]\ncurate:\n  similarity: similar\n  anchor_tiers: [hard]\n",
            }
        ),
        ("a.yaml:3: key 'similarity', key 'length' (", "p.yaml:3)", "use length 'normal'"),
    ),
    Case(
        "experiment cross-field check against a default (curate)",
        "experiment",
        real_plan({"experiments/a.yaml": "stages: [curate]\ncurate:\n  seed: 2\n  source: s1k\n"}),
        ("a.yaml:4: key 'source', key 'style' (default 'r1'): source 's1k' has no 'r1' traces",),
    ),
    Case(
        "experiment YAML tag",
        "experiment",
        real_plan({"experiments/a.yaml": "stages: [sample]\n" + TAG}),
        ("a.yaml:4: not valid YAML", "python/object/apply:os.system", "YAML tags are not allowed"),
    ),
    Case(
        "experiment syntax error",
        "experiment",
        fixture_plan({"experiments/a.yaml": "stages: [make\nmake:\n  value: 1\n"}),
        ("a.yaml:2: not valid YAML", "flow sequence"),
    ),
    Case(
        "experiment bad indentation",
        "experiment",
        fixture_plan({"experiments/a.yaml": "stages: [make]\nmake:\n  value: 1\n   fail: true\n"}),
        ("a.yaml:4: not valid YAML",),
    ),
    Case(
        "experiment not a mapping",
        "experiment",
        fixture_plan({"experiments/a.yaml": "- make\n- double\n"}),
        ("a.yaml:1: expected a mapping of keys, got list",),
    ),
    Case(
        "experiment not text",
        "experiment",
        fixture_plan({"experiments/a.yaml": b"stages: [\xff\xfe]\n"}),
        ("a.yaml:1: not UTF-8 text",),
    ),
    Case(
        "experiment block not in stages",
        "experiment",
        fixture_plan({"experiments/a.yaml": "stages: [make]\ndouble:\n  factor: 2\n"}),
        ("a.yaml:2: block 'double' given but 'double' is not in 'stages'",),
    ),
    Case(
        "experiment unknown stage",
        "experiment",
        fixture_plan({"experiments/a.yaml": "stages: [make, tripple]\n"}),
        ("a.yaml:1: unknown stage 'tripple'",),
    ),
    Case(
        "experiment stages missing",
        "experiment",
        fixture_plan({"experiments/a.yaml": "make:\n  value: 1\n"}),
        ("experiments/a.yaml: 'stages' must list",),
    ),
    Case(
        "experiment missing",
        "experiment",
        fixture_plan({}, experiments=["c"]),
        ("experiment 'c': no file", "experiments/**/c.yaml", "Known experiments: a, b"),
    ),
    Case(
        "experiment defined twice",
        "experiment",
        fixture_plan({"experiments/sub2/a.yaml": "stages: [make]\n"}),
        ("experiment 'a' is defined twice", "experiments/a.yaml", "sub2/a.yaml"),
    ),
    Case(
        "experiment bad reference",
        "experiment",
        fixture_plan({"experiments/c.yaml": 'stages: [make, double]\ndouble:\n  add_from: "@b"\n'}, experiments=["c"]),
        ("c.yaml:3: key 'add_from'", "expected @EXPERIMENT/STAGE"),
    ),
    Case(
        "experiment reference to a missing stage",
        "experiment",
        fixture_plan(
            {"experiments/c.yaml": 'stages: [make, double]\ndouble:\n  add_from: "@b/double"\n'}, experiments=["c"]
        ),
        ("c.yaml:3: key 'double.add_from'", "'b' has no stage 'double'"),
    ),
    Case(
        "experiment reference to a missing experiment",
        "experiment",
        fixture_plan(
            {"experiments/c.yaml": 'stages: [make, double]\ndouble:\n  add_from: "@zz/make"\n'}, experiments=["c"]
        ),
        ("c.yaml:3: key 'double.add_from'", "experiment 'zz': no file"),
    ),
    Case(
        "experiment benchmark not registered",
        "experiment",
        checked_plan(
            {"experiments/a.yaml": "stages: [sample]\nsample:\n  model: models/tiny-instruct\n  benchmark: aime42\n"}
        ),
        (
            "a.yaml:4: key 'sample.benchmark': unknown benchmark 'aime42'",
            "did you mean 'aime2",
            "Registered benchmarks",
        ),
    ),
    Case(
        "experiment model path that does not exist",
        "experiment",
        checked_plan({"experiments/a.yaml": "stages: [sample]\nsample:\n  model: models/nope\n"}),
        ("a.yaml:3: key 'sample.model': 'models/nope' is neither a local folder", "nor a Hub id"),
    ),
    Case(
        "experiment curate n larger than its pool",
        "experiment",
        checked_plan(
            {
                "profiles/p.yaml": "experiments: [a]\ncurate:\n  source: synthetic\n  synthetic_pool_size: 200\n",
                "experiments/a.yaml": "stages: [curate]\ncurate:\n  n: 1000000000\n  tokenizer: tiny:smoke\n",
            }
        ),
        ("a.yaml:3: key 'curate.n': n=1000000000 is larger than its pool", "synthetic pool holds 200"),
    ),
    Case(
        "experiment max_new_tokens over the model's context",
        "experiment",
        checked_plan(
            {
                "experiments/a.yaml": "stages: [sample]\nsample:\n  model: models/tiny-instruct\n  benchmark: synthetic\n"
                "  max_new_tokens: 100000\n"
            }
        ),
        ("a.yaml:5: key 'sample.max_new_tokens': max_new_tokens 100000 + the longest prompt", "context of 512"),
    ),
    # --set overrides
    Case(
        "override without a block",
        "override",
        fixture_plan({}, overrides=["factor=2"]),
        ("override 'factor=2': expected STAGE.KEY=VALUE",),
    ),
    Case(
        "override unknown block",
        "override",
        fixture_plan({}, overrides=["dubble.factor=2"]),
        ("override 'dubble.factor': unknown block 'dubble'", "did you mean 'double'"),
    ),
    Case(
        "override unknown key",
        "override",
        fixture_plan({}, overrides=["double.fcator=2"]),
        ("override 'double.fcator': unknown key", "did you mean 'factor'"),
    ),
    Case(
        "override unknown common key",
        "override",
        fixture_plan({}, overrides=["common.nope=2"]),
        ("override 'common.nope': no stage has a key 'nope'",),
    ),
    Case(
        "override wrong type",
        "override",
        fixture_plan({}, overrides=["double.factor=[1, 2]"]),
        ("command line (--set double.*): key 'factor'", "valid integer", "(got [1, 2])"),
    ),
    Case(
        "override cross-field check",
        "override",
        real_plan({"experiments/a.yaml": "stages: [sample]\n"}, ["sample.n=0"]),
        ("command line (--set sample.*): key 'n': n must be >= 1 (got 0)",),
    ),
    Case(
        "override YAML tag",
        "override",
        fixture_plan({}, overrides=["double.add_from=!!python/name:os.system"]),
        ("override 'double.add_from=!!python/name:os.system': not valid YAML", "YAML tags are not allowed"),
    ),
    Case(
        "override key twice in its value",
        "override",
        fixture_plan({}, overrides=["double.factor={a: 1, a: 2}"]),
        ("override 'double.factor={a: 1, a: 2}': key 'a' given twice",),
    ),
    # stage commands: --params, per-field flags, --set
    Case(
        "sample --params key twice",
        "stage command",
        command("sample", "--params", "{tmp}/s.yaml", "--out", "{tmp}/o", files={"s.yaml": SAMPLE_TWICE}),
        ("s.yaml:3: key 'sample.n' given twice (first at line 2)",),
    ),
    Case(
        "sample --params cross-field check",
        "stage command",
        command("sample", "--params", "{tmp}/s.yaml", "--out", "{tmp}/o", files={"s.yaml": SAMPLE_BAD}),
        ("s.yaml:3: key 'n': n must be >= 1 (got 0)", "s.yaml:4: key 'temperature': temperature must be >= 0"),
    ),
    Case(
        "sample --params YAML tag",
        "stage command",
        command("sample", "--params", "{tmp}/s.yaml", "--out", "{tmp}/o", files={"s.yaml": TAG}),
        ("s.yaml:3: not valid YAML", "YAML tags are not allowed"),
    ),
    Case(
        "sample flags cross-field check",
        "stage command",
        command("sample", "--n", "0", "--temperature", "-1", "--out", "{tmp}/o"),
        ("--n: key 'n': n must be >= 1 (got 0)", "--temperature: key 'temperature'"),
    ),
    Case(
        "sample --set cross-field check",
        "stage command",
        command("sample", "--set", "top_p=2", "--out", "{tmp}/o"),
        ("--set top_p=2: key 'top_p': top_p must be in (0, 1]",),
    ),
    Case(
        "tiers --params typo",
        "stage command",
        command(
            "tiers",
            "x.parquet",
            "--out",
            "{tmp}/t",
            "--params",
            "{tmp}/t.yaml",
            files={"t.yaml": "tiers:\n  seed: 1\n  exh_rul: every_model\n"},
        ),
        ("t.yaml:3: key 'exh_rul': Extra inputs",),
    ),
    Case(
        "tiers flag wrong type",
        "stage command",
        command("tiers", "x.parquet", "--out", "{tmp}/t", "--easy-threshold", "lots"),
        ("--easy-threshold: key 'easy_threshold'", "valid number", "'lots'"),
    ),
    Case(
        "tiers flag out of range",
        "stage command",
        command("tiers", "x.parquet", "--out", "{tmp}/t", "--ks", "0,2"),
        ("--ks: key 'ks'", "every k must be >= 1"),
    ),
    Case(
        "tiers --set of another stage",
        "stage command",
        command("tiers", "x.parquet", "--out", "{tmp}/t", "--set", "sample.n=4"),
        ("--set sample.n=4: this command takes tiers params, not sample",),
    ),
    Case(
        "tiers --set without a value",
        "stage command",
        command("tiers", "x.parquet", "--out", "{tmp}/t", "--set", "seed"),
        ("--set seed: expected KEY=VALUE",),
    ),
    Case(
        "grade --params missing",
        "stage command",
        command("grade", "x.parquet", "--out", "{tmp}/g.parquet", "--params", "{tmp}/nope.yaml"),
        ("nope.yaml: no such params file",),
    ),
    Case(
        "train --params wrong type",
        "stage command",
        command(
            "train",
            "--input-dir",
            "{tmp}/i",
            "--output-dir",
            "{tmp}/o",
            "--params",
            "{tmp}/t.json",
            files={"t.json": '{\n  "epochs": "many"\n}\n'},
        ),
        ("t.json:2: key 'epochs'", "'many'"),
    ),
    # other command lines
    Case(
        "check unknown profile",
        "command line",
        command("check", "--profile", "nope"),
        ("profile 'nope': no file",),
    ),
    Case(
        "run unknown profile",
        "command line",
        command("run", "--profile", "nope"),
        ("profile 'nope': no file",),
    ),
    Case(
        "estimate bad --set",
        "command line",
        command("estimate", "--profile", "laptop", "--set", "sample.n=0"),
        ("command line (--set sample.*): key 'n'",),
    ),
    Case(
        "launch unknown experiment",
        "command line",
        command("launch", "--profile", "paper", "--exp", "nope", "--out", "{tmp}/s"),
        ("experiment 'nope': no file",),
    ),
    Case(
        "check refuses what would fail at run time",
        "command line",
        command("check", "--profile", "laptop", "--exp", "base", "--set", "sample.benchmark=aime42"),
        ("command line (--set sample.*): key 'sample.benchmark': unknown benchmark 'aime42'",),
    ),
    Case(
        "launch refuses what would fail at run time",
        "command line",
        command(
            "launch", "--profile", "laptop", "--exp", "base", "--set", "sample.model=models/nope", "--out", "{tmp}/s"
        ),
        ("key 'sample.model': 'models/nope' is neither a local folder",),
    ),
    Case(
        "profile cluster time not SLURM time",
        "profile",
        real_plan({"profiles/p.yaml": "experiments: [a]\ncluster:\n  time: two days\n"}),
        ("p.yaml:3: key 'time': time must be SLURM time",),
    ),
    Case(
        "book of a profile never run",
        "command line",
        command("book", "--profile", "nope_never_run"),
        ("nope_never_run", "latest.json"),
    ),
    Case(
        "ingest missing file",
        "command line",
        command("ingest", "--format", "lm-eval", "{tmp}/nope.jsonl", "--out", "{tmp}/s.parquet"),
        ("nope.jsonl",),
    ),
    Case(
        "ingest unknown benchmark",
        "command line",
        command(
            "ingest",
            "--format",
            "lm-eval",
            "{tmp}/" + LOG,
            "--out",
            "{tmp}/s.parquet",
            "--benchmark",
            "aime2042",
            files={LOG: lm_eval_line()},
        ),
        ("aime2042",),
    ),
    Case(
        "ingest line not JSON",
        "command line",
        command("ingest", "--format", "lm-eval", "{tmp}/" + LOG, "--out", "{tmp}/s.parquet", files={LOG: "{\n"}),
        ("samples_aime24_2025-01-01T00-00-00.jsonl:1: not valid JSON",),
    ),
    # input files
    Case("torn parquet", "input file", torn, ("torn.parquet",)),
    Case(
        "empty parquet",
        "input file",
        call(schema.read_table, "{tmp}/empty.parquet", files={"empty.parquet": b""}),
        ("empty.parquet",),
    ),
    Case(
        "no such table", "input file", call(schema.read_table, "{tmp}/nope.parquet"), ("nope.parquet: no such file",)
    ),
    Case(
        "table missing a column",
        "input file",
        with_graded(
            call(schema.read_table, "{tmp}/graded.parquet", graded=True), change=lambda f: f.drop(columns="gold")
        ),
        ("graded.parquet: missing column(s) gold",),
    ),
    Case(
        "table column of the wrong type",
        "input file",
        with_graded(
            call(schema.read_table, "{tmp}/graded.parquet", graded=True),
            change=lambda f: f.assign(sample_idx=f["sample_idx"].astype(str).where(f.index > 0, "x")),
        ),
        ("graded.parquet: column 'sample_idx' cannot be read as int64",),
    ),
    Case(
        "table rows sharing a key",
        "input file",
        with_graded(call(schema.read_table, "{tmp}/graded.parquet"), change=lambda f: f.assign(sample_idx=0)),
        ("graded.parquet: ", "rows share a (model, question_id, sample_idx) key"),
    ),
    Case(
        "samples where graded rows are expected",
        "input file",
        with_graded(
            call(load_graded, ["{tmp}/graded.parquet"]), change=lambda f: f.drop(columns=["correct", "reason"])
        ),
        ("graded.parquet: missing column(s) correct",),
    ),
    Case(
        "one model in two graded files",
        "input file",
        with_graded(
            with_graded(call(load_graded, ["{tmp}/one.parquet", "{tmp}/two.parquet"]), "two.parquet"), "one.parquet"
        ),
        ("model 'base' appears in both", "one.parquet", "two.parquet"),
    ),
    Case(
        "mixed n per question",
        "input file",
        with_graded(command("tiers", "{tmp}/graded.parquet", "--out", "{tmp}/t"), change=lambda f: f.iloc[1:]),
        ("graded.parquet", "model 'base' has unequal samples per question", "60: 3"),
    ),
    Case(
        "wrong benchmark ids in a graded file",
        "input file",
        with_graded(
            command("tiers", "{tmp}/graded.parquet", "--out", "{tmp}/t"),
            change=lambda f: f.assign(question_id=f["question_id"].replace({"63": "999"})),
        ),
        ("graded.parquet", "unknown question id(s) 999"),
    ),
    Case(
        "jsonl line not JSON",
        "input file",
        ingest(lm_eval_line() + "{not json\n"),
        ("samples_aime24_2025-01-01T00-00-00.jsonl:2: not valid JSON",),
    ),
    Case(
        "jsonl line missing a field",
        "input file",
        ingest(lm_eval_line() + json.dumps({"doc_id": 1}) + "\n"),
        ("jsonl:2: missing field 'resps'",),
    ),
    Case("jsonl line not an object", "input file", ingest("[1, 2]\n"), ("jsonl:1: expected a JSON object, got list",)),
    Case("jsonl responses not text", "input file", ingest(lm_eval_line(resps=[[1.5]])), ("jsonl:1: field 'resps'",)),
    Case(
        "jsonl question not in the benchmark",
        "input file",
        ingest(lm_eval_line(qid="2019-I-1", answer="3")),
        ("jsonl:1: aime24: cannot identify the question", "fields [answer, id, problem, url]"),
    ),
    Case(
        "jsonl answer of another benchmark",
        "input file",
        ingest(lm_eval_line(answer="999")),
        ("jsonl:1: the file's answer '999' differs from aime24 question 60's answer '204'",),
    ),
    Case(
        "jsonl doc twice with other responses",
        "input file",
        ingest(lm_eval_line() + lm_eval_line(resps=[["\\boxed{1}"]])),
        ("jsonl:2: doc_id 0 appears again", "jsonl:1"),
    ),
    Case(
        "claims threshold out of range",
        "input file",
        claims("target: 0.9  #", "target: 1.9  #"),
        (f"claims.yaml:{claims_line('target: 0.9')}: key 'findings.0.thresholds.target'", "[0, 1], got 1.9"),
    ),
    Case(
        "claims threshold missing",
        "input file",
        claims("target: 0.9  #", "targte: 0.9  #"),
        (f"claims.yaml:{claims_line('target: 0.9')}: key 'findings.0.thresholds.targte'", "target: Field required"),
    ),
    Case(
        "claims key twice",
        "input file",
        claims("    rule: medium\n", "    rule: medium\n    rule: steps\n"),
        (f"claims.yaml:{claims_line('rule: medium') + 1}: key 'findings.0.rule' given twice",),
    ),
    Case(
        "claims unknown comparison",
        "input file",
        claims("comparison: at_least", "comparison: more"),
        (f"claims.yaml:{claims_line('comparison: at_least')}: key 'findings.0.numbers.0.comparison'", "'at_most'"),
    ),
    Case(
        "released models bad value",
        "input file",
        call(
            load_released_models,
            "{tmp}/released.yaml",
            files={
                "released.yaml": "source: x\nmodels:\n  a/b:\n    experiment: e\n    curate:\n      length: longest\n"
            },
        ),
        ("released.yaml:6: key 'models.a/b.curate.length'",),
    ),
]


def _param(case: Case):
    return pytest.param(case, id=case.name.replace(" ", "_"))


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_the_error_says_where_the_fault_is(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # relative names in argv ("x.parquet") stay inside the test's folder
    message = case.run(tmp_path)
    missing = [piece for piece in case.expect if piece not in message]
    assert not missing, f"the message\n{message}\nlacks {missing}"


def test_the_table_covers_every_kind_of_input():
    kinds = {}
    for case in CASES:
        kinds[case.kind] = kinds.get(case.kind, 0) + 1
    assert len(CASES) >= 40 and len({c.name for c in CASES}) == len(CASES)
    assert set(kinds) == {"profile", "experiment", "override", "stage command", "command line", "input file"}
