"""The `textclass` command: a thin layer that turns flags into calls of the Python API."""
from __future__ import annotations

import argparse
import sys

from ..errors import TextclassError
from . import datasets, embeddings, evaluate, export, models, predict, train
from .common import setup_logging

COMMANDS = (train, evaluate, predict, export, datasets, models, embeddings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="textclass", description="Train, evaluate and apply text classifiers.")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and results")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(quiet=args.quiet)
    try:
        return args.run(args)
    except TextclassError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # the system's side: an unwritable --out or --output, a full disk
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
