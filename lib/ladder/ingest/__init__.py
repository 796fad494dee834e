"""Ingest other harnesses' outputs into the samples table (:data:`ladder.schema.SAMPLE_COLUMNS`).

Formats, one module each:

- ``lm-eval`` (``lm_eval``): lm-evaluation-harness ``--log_samples`` files ``samples_<task>_<date>.jsonl``.
- ``lighteval`` (``lighteval``): lighteval details parquet files, new and old layouts.
- ``skythought`` (``skythought``): SkyThought ``results.json``.
- ``ladder``: our own samples parquet.

Modules: ``raw`` (what a reader yields, :class:`IngestError`), one reader module per format above, ``results``
(:func:`read_results`: mapping onto canonical ids and golds, checks, the table; the ``ladder ingest`` command).

Whatever the source numbering, ``question_id`` is the benchmark's canonical id (the AI-MO id for
AIME24) and ``gold`` the registry's answer. The source's own verdict, where it has one per sample, is
kept as ``source_correct`` so grading can report where graders disagree.

Usage::

    from ladder.ingest import read_results
    samples = read_results(["out/Qwen__QwQ-32B/samples_aime24_nofigures_2025-01-01T00-00-00.jsonl"], "lm-eval")

Command line: ``ladder ingest --format lm-eval FILE... --out samples.parquet [--model NAME]``.
"""

from ladder.ingest.raw import IngestError
from ladder.ingest.results import KNOWN_FORMATS, add_cli, read_results

__all__ = [
    "KNOWN_FORMATS",
    "IngestError",
    "add_cli",
    "read_results",
]
