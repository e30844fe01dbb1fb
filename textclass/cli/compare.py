"""`textclass compare RUN RUN...`: one table of test metrics, with McNemar's test where runs share a test set."""
from __future__ import annotations

import argparse
import json


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="compare runs' test metrics, with a paired significance test",
                       description="Tabulate the test metrics of saved runs (their metrics.json). Runs evaluated "
                                   "on the same test set are paired with McNemar's exact test.")
    p.add_argument("run_dirs", nargs="+", metavar="RUN", help="run directories")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..evaluation.compare import compare_runs, format_comparison

    result = compare_runs(args.run_dirs)
    print(json.dumps(result, indent=2) if args.json else format_comparison(result))
    return 0
