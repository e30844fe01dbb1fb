"""The `textclass` command: a thin layer that turns flags into calls of the Python API."""
from __future__ import annotations

import argparse
import re
import sys

from ..errors import TextclassError
from . import collector, compare, datasets, embeddings, evaluate, explain, export, models, predict, serve, train, tune
from .common import setup_logging

COMMANDS = (train, evaluate, predict, explain, compare, serve, export, datasets, models, embeddings, tune)
collector.freeze_at_exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="textclass", description="Train, evaluate and apply text classifiers.")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and results")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    with collector.startup_frozen():
        return _run(list(sys.argv[1:] if argv is None else argv))


def _run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    args.argv = argv  # for a command that starts itself again in other processes (train --nproc)
    setup_logging(quiet=args.quiet)
    try:
        return args.run(args)
    except TextclassError as exc:
        print(f"error: {in_flags(str(exc), _flags(build_parser()))}", file=sys.stderr)
        return 2
    except OSError as exc:  # the system's side: an unwritable --out or --output, a full disk
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _flags(parser: argparse.ArgumentParser) -> dict[str, str]:
    """Every long flag of every command, by the parameter name the library uses for it."""
    flags = {}
    for sub in parser._subparsers._group_actions[0].choices.values():
        for action in sub._actions:
            for option in action.option_strings:
                if option.startswith("--"):
                    flags.setdefault(option[2:].replace("-", "_"), option)
    return flags


def in_flags(message: str, flags: dict[str, str]) -> str:
    """The library names settings as Python does (``embedding_dim=8``); on the command line say ``--embedding-dim 8``."""
    return re.sub(r"\b([a-z][a-z0-9_]*)=", lambda m: f"{flags[m.group(1)]} " if m.group(1) in flags else m.group(0),
                  message)


if __name__ == "__main__":
    sys.exit(main())
