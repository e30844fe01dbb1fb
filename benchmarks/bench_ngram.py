"""textclass's ``ngram`` model against fastText and scikit-learn, each as a whole job from the same raw files.

A job reads the data files, trains, and predicts the test set; each runs in a fresh process, ``--repeats``
times. Reported: median wall seconds of the whole job (interpreter start to exit, measured by this parent),
peak RSS of the job's process, test accuracy, prediction speed on the test set (docs/s, tokenization
included), and the wall-time ratio to the fastText job.

Systems:
  textclass       ``textclass train --model ngram`` (the CLI: raw files -> saved run + test report); defaults.
                  Its 5 epochs are each scored on the held-out 10% of train, and the best is kept.
  fasttext        fastText as the issue's anchor: normalized, shuffled input; lr 0.1, epoch 10, wordNgrams 2,
                  dim 50, trained on all of train.
  fasttext_tuned  fastText with lr {0.1, 0.5, 1} x epoch {10, 25} x wordNgrams {1, 2} (12 settings) chosen on
                  the same held-out 10% of train; a setting that diverges (NaN) is skipped.
  tfidf_lr        scikit-learn TF-IDF (1-2 grams) + LogisticRegression, C chosen on the held-out 10% (3 values).
  nb_lr           NB-weighted binary (1-2 gram) counts + liblinear LogisticRegression (NBSVM-style; one model
                  per class against the rest when there are more than two), C chosen on the held-out 10%.

Every system that selects does so on the same validation rows (textclass among its 5 epochs, fastText among
12 settings, scikit-learn among 3 values of C), and its final model is the chosen candidate trained on the
remaining 90% of train, as textclass's is. The peers read the same files textclass reads (IMDB's prepared JSON
Lines, BANKING77's CSVs) without importing textclass, so they pay no torch import.

    TEXTCLASS_DATA=/work/shared/datasets python benchmarks/bench_ngram.py --repeats 3
    python benchmarks/bench_ngram.py --repeats 1 --datasets banking77 --systems textclass,fasttext
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import write_results  # noqa: E402

SYSTEMS = ("textclass", "fasttext", "fasttext_tuned", "tfidf_lr", "nb_lr")
DATASETS = ("imdb", "banking77")
VALID_FRACTION, SEED = 0.1, 0


# -- the parent: prepare data once, run every job in a child, summarise --------------------------------------
def prepare(dataset: str, workdir: Path) -> dict:
    """Paths of the raw files and the held-out validation rows, written for the children to read."""
    from textclass.data import TextDataset, resolve_data_dir, stratified_split
    from textclass.data.selection import load_splits

    data_dir = resolve_data_dir()
    if dataset == "imdb":
        from textclass.data.paths import cache_dirs

        splits = load_splits("imdb")  # prepares the cache on first use, so no timed job pays for it
        cache = next(d / "imdb" for d in cache_dirs(data_dir) if (d / "imdb" / "manifest.json").is_file())
        files = {"format": "jsonl", "train": str(cache / "train.jsonl"), "test": str(cache / "test.jsonl")}
        cli = ["--data", "imdb"]
    else:
        folder = data_dir / "banking77"
        files = {"format": "csv", "train": str(folder / "train.csv"), "test": str(folder / "test.csv")}
        splits = load_splits(train=folder / "train.csv", test=folder / "test.csv")
        cli = ["--train", files["train"], "--test", files["test"]]
    # The classifier's own hold-out, reproduced on row numbers: the same rows every system validates on.
    rows = TextDataset([str(i) for i in range(len(splits.train))], splits.train.labels)
    _, heldout = stratified_split(rows, VALID_FRACTION, SEED)
    manifest = {**files, "valid_rows": [int(t) for t in heldout.texts], "cli": cli}
    path = workdir / f"{dataset}.json"
    path.write_text(json.dumps(manifest))
    return {"manifest": str(path), **manifest}


def run_measured(cmd: list[str], env: dict | None = None) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak RSS MB) of one child; wait4 gives that child's own resource usage."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"benchmark job failed (status {status}): {' '.join(cmd)}")
    return out, wall, usage.ru_maxrss / 1024  # Linux reports KiB


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def run_job(system: str, dataset: str, prep: dict, workdir: Path) -> dict:
    load = round(os.getloadavg()[0], 2)  # other work on the machine, for reading the timings
    if system == "textclass":
        run_dir = workdir / f"run-{dataset}"
        cmd = [sys.executable, "-m", "textclass", "--quiet", "train", "--model", "ngram", *prep["cli"],
               "--out", str(run_dir), "--no-progress"]
        _, wall, peak = run_measured(cmd)
        metrics = json.loads((run_dir / "metrics.json").read_text())
        # Prediction speed: the saved run loaded in a fresh process, timed on raw test texts.
        speed = last_json(run_measured([sys.executable, __file__, "--worker", "predict", "--run", str(run_dir),
                                        "--manifest", prep["manifest"]])[0])
        result = {"test_accuracy": metrics["accuracy"], **speed}
    else:
        out, wall, peak = run_measured([sys.executable, __file__, "--worker", system, "--manifest", prep["manifest"]])
        result = last_json(out)
    return {"wall_seconds": round(wall, 2), "peak_rss_mb": round(peak, 1), "load_average_before": load, **result}


def summarise(runs: list[dict]) -> dict:
    first = runs[0]
    return {
        "wall_seconds_median": round(statistics.median(r["wall_seconds"] for r in runs), 2),
        "wall_seconds": [r["wall_seconds"] for r in runs],
        "peak_rss_mb_median": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
        "test_accuracy_median": round(statistics.median(r["test_accuracy"] for r in runs), 4),
        "test_accuracy": [round(r["test_accuracy"], 4) for r in runs],
        "predict_docs_per_second_median": round(statistics.median(r["predict_docs_per_second"] for r in runs)),
        **({"chosen": first["chosen"], "valid_accuracy": round(first["valid_accuracy"], 4)} if "chosen" in first
           else {}),
    }


def table(summary: dict) -> str:
    lines = ["| dataset | system | test acc | whole job s (median) | x fastText | predict docs/s | peak RSS MB |",
             "|---|---|---|---|---|---|---|"]
    for dataset, systems in summary.items():
        anchor = systems.get("fasttext", {}).get("wall_seconds_median")
        for system, s in systems.items():
            ratio = f"{s['wall_seconds_median'] / anchor:.2f}" if anchor else "-"
            lines.append(f"| {dataset} | {system} | {100 * s['test_accuracy_median']:.2f}% | "
                         f"{s['wall_seconds_median']:.1f} | {ratio} | {s['predict_docs_per_second_median']:,} | "
                         f"{s['peak_rss_mb_median']:.0f} |")
    return "\n".join(lines)


# -- children: reading the raw files without textclass --------------------------------------------------------
def read_split(manifest: dict, split: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    if manifest["format"] == "jsonl":
        with open(manifest[split], encoding="utf-8") as stream:
            for line in stream:
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(row["label"])
    else:
        with open(manifest[split], encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                texts.append(row["text"])
                labels.append(row["category"])
    return texts, labels


def load_job_data(manifest_path: str):
    """(all of train, train without the held-out rows, the held-out rows, test), each as (texts, labels)."""
    manifest = json.loads(Path(manifest_path).read_text())
    texts, labels = read_split(manifest, "train")
    held = set(manifest["valid_rows"])
    rest = [i for i in range(len(texts)) if i not in held]

    def pick(rows):
        return [texts[i] for i in rows], [labels[i] for i in rows]

    return (texts, labels), pick(rest), pick(manifest["valid_rows"]), read_split(manifest, "test")


def accuracy(predicted, gold) -> float:
    return sum(p == g for p, g in zip(predicted, gold)) / len(gold)


# fastText's classification example normalizes like this: lowercase, drop HTML breaks, split off punctuation.
_BREAK = re.compile(r"<br\s*/?>")
_PUNCT = re.compile(r"([.,!?()\";:])")


def ft_normalize(texts: list[str]) -> list[str]:
    joined = "\n".join(t.replace("\n", " ").replace("\r", " ") for t in texts).lower()
    return _PUNCT.sub(r" \1 ", _BREAK.sub(" ", joined)).split("\n")


def ft_input(texts, labels, path: Path) -> str:
    """fastText's training file: one "__label__X text" line per text, normalized, shuffled."""
    lines = [f"__label__{y.replace(' ', '_')} {t}" for t, y in zip(ft_normalize(texts), labels)]
    random.Random(SEED).shuffle(lines)  # fastText's SGD needs mixed classes; raw files come grouped by label
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def ft_train(path: str, **params):
    import fasttext

    return fasttext.train_supervised(input=path, dim=50, thread=os.cpu_count(), verbose=0, seed=SEED, **params)


def ft_predict(model, texts) -> tuple[list[str], float]:
    started = time.perf_counter()
    predicted, _ = model.predict(ft_normalize(texts), k=1)
    seconds = time.perf_counter() - started
    return [p[0].removeprefix("__label__") for p in predicted], seconds


def worker_fasttext(manifest_path: str, tuned: bool) -> dict:
    full, fit, valid, test = load_job_data(manifest_path)
    names = {y.replace(" ", "_"): y for y in full[1]}  # fastText labels cannot hold spaces
    with tempfile.TemporaryDirectory() as tmp:
        if tuned:
            grid = [{"lr": lr, "epoch": epoch, "wordNgrams": n} for lr in (0.1, 0.5, 1.0) for epoch in (10, 25)
                    for n in (1, 2)]
            best, path = None, ft_input(*fit, Path(tmp) / "train.txt")
            for params in grid:
                try:
                    candidate = ft_train(path, **params)
                except RuntimeError:  # "Encountered NaN": this setting diverged, so it is not a candidate
                    continue
                predicted, _ = ft_predict(candidate, valid[0])
                score = accuracy([names.get(p, p) for p in predicted], valid[1])
                if best is None or score > best[0]:
                    best = (score, params, candidate)  # only the best model is kept, as a user would
            score, chosen, model = best
            extra = {"chosen": chosen, "valid_accuracy": score}
        else:
            model, extra = ft_train(ft_input(*full, Path(tmp) / "train.txt"), lr=0.1, epoch=10, wordNgrams=2), {}
        predicted, seconds = ft_predict(model, test[0])
    return {"test_accuracy": accuracy([names.get(p, p) for p in predicted], test[1]),
            "predict_docs_per_second": len(test[0]) / seconds, **extra}


def worker_sklearn(manifest_path: str, system: str) -> dict:
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    _, fit, valid, test = load_job_data(manifest_path)
    classes = sorted(set(fit[1]))
    y_fit = np.array([classes.index(y) for y in fit[1]])
    if system == "tfidf_lr":
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
        grid = (1.0, 10.0, 100.0)
    else:
        vectorizer = CountVectorizer(ngram_range=(1, 2), binary=True)
        grid = (0.1, 1.0, 10.0)
    x_fit = vectorizer.fit_transform(fit[0])
    ratios = nb_ratios(x_fit, y_fit, len(classes)) if system == "nb_lr" else None

    def train(c):
        if ratios is None:
            return LogisticRegression(C=c, max_iter=1000).fit(x_fit, y_fit)
        # NBSVM: one binary liblinear model per class on features scaled by that class's ratios (one for two
        # classes; the positive class is index 1).
        targets = [1] if len(ratios) == 1 else range(len(ratios))
        return [LogisticRegression(C=c, max_iter=1000, solver="liblinear").fit(x_fit.multiply(r).tocsr(), y_fit == k)
                for k, r in zip(targets, ratios)]

    def predict(models, texts):
        x = vectorizer.transform(texts)
        if ratios is None:
            return models.predict(x)
        if len(models) == 1:
            return models[0].predict(x.multiply(ratios[0]).tocsr()).astype(int)
        return np.stack([m.decision_function(x.multiply(r).tocsr()) for m, r in zip(models, ratios)], 1).argmax(1)

    scored = []
    for c in grid:
        models = train(c)
        scored.append((accuracy([classes[i] for i in predict(models, valid[0])], valid[1]), c, models))
    score, chosen, models = max(scored, key=lambda s: s[0])
    started = time.perf_counter()
    predicted = predict(models, test[0])
    seconds = time.perf_counter() - started
    return {"test_accuracy": accuracy([classes[i] for i in predicted], test[1]),
            "predict_docs_per_second": len(test[0]) / seconds, "chosen": {"C": chosen}, "valid_accuracy": score}


def nb_ratios(x, y, n_classes: int):
    """Per class (one for two classes), log((p / |p|) / (q / |q|)) of smoothed binary counts in vs out."""
    import numpy as np

    targets = [1] if n_classes == 2 else range(n_classes)
    ratios = []
    for k in targets:
        p = np.asarray(x[y == k].sum(0)).ravel() + 1.0
        q = np.asarray(x[y != k].sum(0)).ravel() + 1.0
        ratios.append(np.log((p / p.sum()) / (q / q.sum())))
    return ratios


def worker_predict(run_dir: str, manifest_path: str) -> dict:
    from textclass import TextClassifier

    texts, _ = read_split(json.loads(Path(manifest_path).read_text()), "test")
    clf = TextClassifier.load(run_dir)
    started = time.perf_counter()
    clf.predict(texts)
    return {"predict_docs_per_second": len(texts) / (time.perf_counter() - started)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--datasets", default=",".join(DATASETS))
    p.add_argument("--systems", default=",".join(SYSTEMS))
    p.add_argument("--out", default="benchmarks/results/ngram.json")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--manifest", help=argparse.SUPPRESS)
    p.add_argument("--run", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        if args.worker == "predict":
            result = worker_predict(args.run, args.manifest)
        elif args.worker.startswith("fasttext"):
            result = worker_fasttext(args.manifest, tuned=args.worker == "fasttext_tuned")
        else:
            result = worker_sklearn(args.manifest, args.worker)
        print(json.dumps(result))
        return
    systems = [s for s in args.systems.split(",") if s]
    unknown = sorted(set(systems) - set(SYSTEMS))
    if unknown:
        raise SystemExit(f"unknown systems {unknown}; known: {', '.join(SYSTEMS)}")
    summary, runs, launch_load = {}, {}, os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-ngram-") as tmp:
        workdir = Path(tmp)
        for dataset in args.datasets.split(","):
            prep = prepare(dataset, workdir)
            runs[dataset] = {system: [] for system in systems}
            # Repeats go round the systems, so a change in the machine's load is shared rather than one-sided.
            for repeat in range(args.repeats):
                for system in systems:
                    result = run_job(system, dataset, prep, workdir)
                    runs[dataset][system].append(result)
                    print(f"{dataset:9s} {system:15s} run {repeat + 1}: acc {result['test_accuracy']:.4f}  "
                          f"wall {result['wall_seconds']} s  predict {result['predict_docs_per_second']:,.0f}/s  "
                          f"peak {result['peak_rss_mb']} MB", flush=True)
            summary[dataset] = {system: summarise(results) for system, results in runs[dataset].items()}
    print("\n" + table(summary))
    # common.machine() samples the load when the file is written; these say what it was around the runs.
    write_results(args.out, {"load_average_at_launch": launch_load, "load_average_at_end": os.getloadavg(),
                             "args": vars(args), "summary": summary, "runs": runs})


if __name__ == "__main__":
    main()
