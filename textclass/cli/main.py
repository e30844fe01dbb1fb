"""The `textclass` command: a thin layer that turns flags into calls of the Python API."""
from __future__ import annotations

import argparse
import atexit
import gc
import re
import sys

from ..errors import TextclassError
from . import compare, datasets, embeddings, evaluate, explain, export, models, predict, serve, train, tune
from .common import setup_logging

COMMANDS = (train, evaluate, predict, explain, compare, serve, export, datasets, models, embeddings, tune)

# At exit CPython collects once more, walking every object still alive: with torch and matplotlib loaded that
# took 0.45 s of a 4-second `train` job on a small data set, to free memory the operating system takes back
# anyway. Frozen, those objects are left to it. (Objects alive at exit were never promised their __del__; the
# commands close their files themselves.)
atexit.register(gc.freeze)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="textclass", description="Train, evaluate and apply text classifiers.")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and results")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv  # for a command that starts itself again in other processes (train --nproc)
    setup_logging(quiet=args.quiet)
    # What is imported by now (torch and the rest: about 170,000 objects the collector tracks) lives as long as
    # the process. Frozen, the full collections that a command's own allocations trigger no longer walk
    # it: about 0.15 s of a 4-second `train` job on a small data set. Unfrozen at the end, so that a process
    # that goes on (a test run calling main()) collects those objects again.
    gc.freeze()
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
    finally:
        gc.unfreeze()


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
