"""The ``ladder`` command line. Each concept module that has commands defines ``add_cli(subparsers)``.

Usage::

    ladder run --profile laptop            # every stage of the profile's experiments, then the book
    ladder run sample --exp base --set sample.n=4
    ladder ingest --format lm-eval samples_*.jsonl --out samples.parquet
    ladder grade samples.parquet --out graded.parquet
    ladder tiers graded.parquet --out DIR
    ladder launch --profile paper          # SLURM scripts; then: bash runs/paper/slurm/submit.sh
    ladder status --profile paper          # each experiment's stages and its task's log

Every command reports bad input the same way: ``ladder COMMAND: error: MESSAGE`` on stderr and exit code 2 (the
form argparse gives its own usage errors). :func:`main` does it once for all of them
(:func:`ladder.stage_cli.run_command`): a command lets a :class:`ParamsError` or any other ``ValueError`` or
``OSError`` (a missing file) go up, and its message says where the fault is.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ladder.stage_cli import run_command

# Modules that contribute sub-commands; imported lazily so `ladder --help` stays fast.
COMMAND_MODULES = (
    "ladder.run",
    "ladder.book",
    "ladder.ingest",
    "ladder.grade",
    "ladder.tiers",
    "ladder.sample",
    "ladder.train",
    "ladder.compute",
    "ladder.launch",
    "ladder.status",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ladder", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        module.add_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_command(args.command, lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
