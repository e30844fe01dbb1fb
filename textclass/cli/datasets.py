"""`textclass datasets`: the built-in sources, their splits, and where they are cached."""
from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("datasets", help="list built-in data sources and where they are cached")
    p.add_argument("--data-dir", metavar="DIR", help="data directory to inspect (default: $TEXTCLASS_DATA, "
                                                     "else ~/.cache/textclass)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..data import list_sources, resolve_data_dir

    print(f"data directory: {resolve_data_dir(args.data_dir)}")
    for source in list_sources(args.data_dir):
        print(f"\n{source['name']}: {source['description']}")
        print(f"  splits:   {', '.join(source['splits'])}")
        print(f"  location: {source['location']}")
    return 0
