"""`textclass evaluate RUN`: the report of a saved run on a labeled split or file."""
from __future__ import annotations

import argparse
from pathlib import Path

from ..artifact import write_run_file
from ..classifier import PREDICT_BATCH_SIZE, TextClassifier
from ..report import REPORT_FILE, build_report
from ..data.selection import load_splits
from ..evaluation import format_report, write_metrics
from .common import add_data_flags


def add_parser(sub) -> None:
    p = sub.add_parser("evaluate", help="report a saved run's accuracy, per-class F1 and confusion matrix",
                       description="Evaluate a saved run on a built-in split (--data NAME --split test) or a "
                                   "labeled file (--test FILE).")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `textclass train`")
    p.add_argument("--split", default="test", help="split of the built-in source (default test)")
    p.add_argument("--output", metavar="FILE", help="also write the report as JSON here")
    p.add_argument("--batch-size", type=int,
                   help=f"texts per batch (default: the model's choice: {PREDICT_BATCH_SIZE} for most, more for "
                        "ngram with few classes)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, auto")
    p.add_argument("--no-report", action="store_true",
                   help="do not write RUN/report.html (by default it is rewritten for this evaluation)")
    p.add_argument("--seed", type=int, default=0, help="seed for --limit sampling (default 0)")
    add_data_flags(p, training=False)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    clf = TextClassifier.load(args.run_dir)
    splits = load_splits(args.data, test=args.test, data_dir=args.data_dir, text_column=args.text_column,
                         label_column=args.label_column, skip_empty=args.skip_empty, limit=args.limit,
                         seed=args.seed, need_train=False, test_split=args.split,
                         label_separator=args.label_separator)
    evaluation = clf.evaluation(splits.test, batch_size=args.batch_size, device=args.device)
    report = evaluation.report
    print(format_report(report, title=f"Report: {args.run_dir} on {splits.test.origin}"))
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        write_metrics(report, args.output)
    if not args.no_report and not clf.multi_label:  # the report's figures are single-label ones
        html = build_report(clf, evaluation, title=f"textclass run {args.run_dir} on {splits.test.origin}")
        print(f"wrote {write_run_file(args.run_dir, REPORT_FILE, html)}")
    return 0
