"""Character n-grams on and off, the rest of the default `ngram` unchanged: the evidence for `char_ngrams` auto.

For each dev-suite data set and seed, ``TextClassifier(seed=S, char_ngrams=C)`` is fitted on train (its own
stratified 10% hold-out) and scored on test, for C in 3-5 and off. IMDB, too long for the dev suite's
character n-grams as a whole, is sampled: ``--imdb-samples`` training reviews drawn at random (numpy seed 0)
and 5,000 test reviews, so that the old total-size rule would have turned characters on. Fit seconds are the
three seeds' together, on one process. Writes one JSON file (default results/char_ngrams.json).

    TEXTCLASS_DATA=../shared/datasets python benchmarks/bench_char_ngrams.py
    python benchmarks/bench_char_ngrams.py --datasets r8,cr --seeds 0,1,2,3,4 --imdb-samples 0
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

import numpy as np

from common import machine

SETTINGS = ("3-5", "off")
LABEL_COLUMN = {"banking77": "category"}


def measure(train, test, seeds: list[int]) -> dict:
    from textclass import TextClassifier

    rows = {}
    for chars in SETTINGS:
        started, scores = time.perf_counter(), []
        for seed in seeds:
            report = TextClassifier(seed=seed, char_ngrams=chars, progress=False).fit(train).evaluate(test)
            scores.append((report["accuracy"], report["macro_f1"]))
        accuracy, macro_f1 = np.array(scores).T
        rows[chars] = {"accuracy": accuracy.tolist(), "macro_f1": macro_f1.tolist(),
                       "mean_accuracy": float(accuracy.mean()), "mean_macro_f1": float(macro_f1.mean()),
                       "fit_and_test_seconds": round(time.perf_counter() - started, 1)}
        print(f"{test.origin}: char_ngrams {chars}: accuracy {100 * accuracy.mean():.2f}, "
              f"macro-F1 {100 * macro_f1.mean():.2f}, {rows[chars]['fit_and_test_seconds']} s", flush=True)
    return rows


def imdb_sample(size: int):
    from textclass.data import TextDataset, load_source

    train, test = load_source("imdb", "train"), load_source("imdb", "test")
    rng = np.random.default_rng(0)
    picked = rng.choice(len(train), size, replace=False)
    tested = rng.choice(len(test), 5000, replace=False)
    pick = lambda data, rows, name: TextDataset.from_lists([data.texts[i] for i in rows],
                                                          [data.labels[i] for i in rows], origin=name)
    return pick(train, picked, f"imdb-train-{size}"), pick(test, tested, "imdb-test-5000")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default="mpqa,banking77,cr,agnews7600,r8")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--imdb-samples", default="2000,5000", help="training sample sizes; 0 skips IMDB")
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "char_ngrams.json"))
    args = p.parse_args()
    logging.disable(logging.WARNING)
    from textclass.data import read_file

    folder = Path(os.environ.get("TEXTCLASS_DATA", "../shared/datasets"))
    seeds = [int(s) for s in args.seeds.split(",")]
    results = {"seeds": seeds, "machine": machine(), "data": {}}
    jobs = []
    for name in filter(None, args.datasets.split(",")):
        column = LABEL_COLUMN.get(name, "label")
        jobs.append((name, read_file(folder / name / "train.csv", text_column="text", label_column=column),
                     read_file(folder / name / "test.csv", text_column="text", label_column=column)))
    jobs += [(f"imdb-{size}", *imdb_sample(size)) for size in map(int, args.imdb_samples.split(",")) if size]
    for name, train, test in jobs:
        lengths = np.fromiter(map(len, train.texts), np.int64, len(train))
        results["data"][name] = {"train_texts": len(train), "median_chars": float(np.median(lengths)),
                                 **measure(train, test, seeds)}
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
