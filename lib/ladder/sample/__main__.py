"""``python -m ladder.sample ...``: the ``ladder sample`` command without the rest of the CLI."""

import argparse
import sys

from ladder.sample.stage import add_cli


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` as ``ladder sample`` arguments and run."""
    parser = argparse.ArgumentParser(prog="python -m ladder.sample")
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["sample", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
