"""Tuning for a stated budget against the model's defaults, on the same data, scored on the test split.

For each dataset: the default configuration (``TextClassifier(model)``, the 10% stratified hold-out of train
that fit makes with seed 0) and a search (``textclass.tune.tune``: TPE, median pruning after each epoch) over the
model's declared search space, limited to ``--trials`` finished trials or ``--budget`` seconds, whichever comes
first, scored on the same hold-out. Both final models are evaluated once on the official test split, which the
search never sees. The study goes to a temporary SQLite file.

    TEXTCLASS_DATA=/work/shared/datasets python benchmarks/bench_tune.py --datasets banking77,cr --model ngram \
        --trials 40 --budget 600
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import write_results  # noqa: E402

from textclass import TextClassifier  # noqa: E402
from textclass.data import read_file, stratified_split  # noqa: E402
from textclass.tune import summary_table, tune  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default="banking77,cr")
    parser.add_argument("--model", default="ngram")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--budget", type=float, default=600, help="seconds of search per dataset")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    root = Path(os.environ.get("TEXTCLASS_DATA", "../shared/datasets"))
    results = []
    for name in args.datasets.split(","):
        train = read_file(root / name / "train.csv")
        test = read_file(root / name / "test.csv")
        load = [round(x, 2) for x in os.getloadavg()]
        started = time.perf_counter()
        default = TextClassifier(args.model, progress=False, seed=0).fit(train)
        default_seconds = time.perf_counter() - started
        default_report = default.evaluate(test)
        fit_train, valid = stratified_split(train, 0.1, 0)  # the hold-out fit made above
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            found = tune(args.model, fit_train, valid, trials=args.trials, timeout=args.budget,
                         storage=Path(tmp) / "study.db", fixed={"seed": 0})
            search_seconds = time.perf_counter() - started
            table = summary_table(found.study)
            states = {}
            for t in found.study.trials:
                states[t.state.name.lower()] = states.get(t.state.name.lower(), 0) + 1
        tuned_report = found.classifier.evaluate(test)
        print(table, flush=True)
        row = {
            "dataset": name, "model": args.model, "train_texts": len(train), "test_texts": len(test),
            "load_average_before": load, "budget_seconds": args.budget, "max_trials": args.trials,
            "default": {"valid_accuracy": default.history_[default.best_epoch_ - 1]["valid_accuracy"],
                        "test_accuracy": default_report["accuracy"], "test_macro_f1": default_report["macro_f1"],
                        "fit_seconds": round(default_seconds, 1)},
            "tuned": {"valid_accuracy": found.best_value, "test_accuracy": tuned_report["accuracy"],
                      "test_macro_f1": tuned_report["macro_f1"], "search_seconds": round(search_seconds, 1),
                      "trials": states, "best_params": found.best_params},
        }
        print(row, flush=True)
        results.append(row)
    write_results(args.out or f"benchmarks/results/tune_{args.model}.json",
                  {"command": " ".join(sys.argv), "results": results})


if __name__ == "__main__":
    main()
