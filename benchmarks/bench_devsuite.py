"""The dev suite: textclass's default against its peers on six data sets, every system selecting on validation.

Systems (each a whole job in a fresh process: read the raw files, select, train, predict the test set):
  textclass       ``textclass train --train F --test T --out RUN --seed S`` with every default (IMDB: ``--data
                  imdb``); prediction speed is measured afterwards by loading RUN in another process.
  fasttext_tuned  fastText (fasttext-numpy2), dim 50, lr {0.1, 0.5, 1} x epoch {10, 25} x wordNgrams {1, 2}
                  chosen on validation (a setting that diverges is skipped), the chosen model kept.
  tfidf_lr        scikit-learn TF-IDF 1-2-grams (sublinear tf, min_df 2) + LogisticRegression, C in {1, 10, 100}.
  nb_lr           NBSVM-style: binary 1-2-gram counts scaled by naive-Bayes log-count ratios + liblinear
                  LogisticRegression (one per class against the rest above two classes), C in {0.1, 1, 10}.
  fasttext        fastText with fixed settings (lr 0.5, epoch 25, wordNgrams 2) on all of train: no selection.

Prediction speed (texts/s) is measured the same way for every system, in one process on the whole test split:
one warm-up call on 100 texts, then the median of 5 calls (``timed_predict``); the first full call and the CPU
seconds per call are kept too.

The validation rows are textclass's own hold-out (a stratified 10% of train for the seed), so every system
selects on the same rows and trains its final model on the other 90%; the test split is used for the report
only. Each job writes ``benchmarks/results/devsuite/<dataset>__<system>__seed<S>.json`` as soon as it ends,
and a job whose file exists is skipped, so an interrupted run resumes where it stopped (``--force`` reruns).
``--table`` prints the Markdown table of every result file (means over seeds) and, with ``--write-md``,
replaces the block between the devsuite markers in BENCHMARKS.md.

``--many-classes`` runs the many-classes check instead: synthetic data (generated here, never saved in the
repo) of 20,000 classes x 200,000 rows, textclass trained 5 epochs with its defaults.

    TEXTCLASS_DATA=/work/shared/datasets python benchmarks/bench_devsuite.py
    python benchmarks/bench_devsuite.py --datasets cr,mpqa --systems textclass,tfidf_lr --seeds 0,1,2
    python benchmarks/bench_devsuite.py --table --write-md
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine  # noqa: E402

SYSTEMS = ("textclass", "fasttext_tuned", "tfidf_lr", "nb_lr")
OPTIONAL_SYSTEMS = ("fasttext",)
DATASETS = ("imdb", "banking77", "cr", "mpqa", "r8", "agnews7600")
# Small test sets, where one seed's figure moves by a point: these get three seeds unless --seeds says otherwise.
SPREAD_DATASETS = ("cr", "mpqa")
VALID_FRACTION = 0.1
RESULTS = Path(__file__).parent / "results" / "devsuite"
MARK_BEGIN, MARK_END = "<!-- devsuite:begin -->", "<!-- devsuite:end -->"


# -- the parent ---------------------------------------------------------------------------------------------
def prepare(dataset: str, seed: int, workdir: Path) -> dict:
    """Raw file paths, their columns and the held-out rows for ``seed``, written for the children to read."""
    from textclass.data import TextDataset, resolve_data_dir, stratified_split
    from textclass.data.selection import load_splits

    data_dir = resolve_data_dir()
    if dataset == "imdb":
        from textclass.data.paths import cache_dirs

        splits = load_splits("imdb")  # prepares the cache on first use, so no timed job pays for it
        cache = next(d / "imdb" for d in cache_dirs(data_dir) if (d / "imdb" / "manifest.json").is_file())
        files = {"format": "jsonl", "train": str(cache / "train.jsonl"), "test": str(cache / "test.jsonl"),
                 "label_column": "label"}
        cli = ["--data", "imdb"]
    else:
        folder = data_dir / dataset
        files = {"format": "csv", "train": str(folder / "train.csv"), "test": str(folder / "test.csv"),
                 "label_column": "category" if dataset == "banking77" else "label"}
        splits = load_splits(train=folder / "train.csv", test=folder / "test.csv")
        cli = ["--train", files["train"], "--test", files["test"]]
    rows = TextDataset([str(i) for i in range(len(splits.train))], splits.train.labels)
    _, heldout = stratified_split(rows, VALID_FRACTION, seed)
    manifest = {**files, "valid_rows": sorted(int(t) for t in heldout.texts), "cli": cli, "seed": seed}
    path = workdir / f"{dataset}-seed{seed}.json"
    path.write_text(json.dumps(manifest))
    return {"manifest": str(path), **manifest}


def run_measured(cmd: list[str], usage_out: dict | None = None) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak RSS MB) of one child; wait4 gives that child's own resource usage.

    ``usage_out`` receives the child's CPU seconds too: on a loaded machine they, not wall seconds, say
    what the job would take alone.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"benchmark job failed (status {status}): {' '.join(cmd)}")
    if usage_out is not None:
        usage_out.update(cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2))
    return out, wall, usage.ru_maxrss / 1024  # Linux reports KiB


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def run_job(system: str, dataset: str, prep: dict, workdir: Path, textclass_flags: list[str] = ()) -> dict:
    load = [round(x, 2) for x in os.getloadavg()]
    usage: dict = {}  # the job's CPU seconds: what it would take alone, less moved by the machine's load
    if system == "textclass":
        run_dir = workdir / f"run-{dataset}-{prep['seed']}"
        cmd = [sys.executable, "-m", "textclass", "--quiet", "train", *prep["cli"], "--seed", str(prep["seed"]),
               "--out", str(run_dir), "--no-progress", *textclass_flags]
        _, wall, peak = run_measured(cmd, usage)
        metrics = json.loads((run_dir / "metrics.json").read_text())
        config = json.loads((run_dir / "config.json").read_text())
        speed = last_json(run_measured([sys.executable, __file__, "--worker", "predict", "--run", str(run_dir),
                                        "--manifest", prep["manifest"]])[0])
        result = {"test_accuracy": metrics["accuracy"], "test_macro_f1": metrics["macro_f1"], **speed,
                  "flags": list(textclass_flags),
                  "chosen": {"encoder": config["encoder"]["params"], "model": config["model"]["params"],
                             "training": {k: config["training"].get(k) for k in ("epochs", "lr", "batch_size")},
                             "defaults": config.get("defaults")}}
    else:
        out, wall, peak = run_measured([sys.executable, __file__, "--worker", system, "--manifest", prep["manifest"]],
                                       usage)
        result = last_json(out)
    return {"dataset": dataset, "system": system, "seed": prep["seed"], "wall_seconds": round(wall, 2), **usage,
            "peak_rss_mb": round(peak, 1), "load_average_before": load, **result}


def result_path(dataset: str, system: str, seed: int) -> Path:
    return RESULTS / f"{dataset}__{system}__seed{seed}.json"


def set_results(folder: str) -> None:
    global RESULTS
    RESULTS = Path(folder)


def write_json(path: Path, payload: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    tmp.replace(path)  # a killed run never leaves half a result that a resumed run would trust


# -- the table ------------------------------------------------------------------------------------------------
def collect() -> dict:
    found: dict = {}
    for path in sorted(RESULTS.glob("*__*__seed*.json")):
        r = json.loads(path.read_text())
        found.setdefault(r["dataset"], {}).setdefault(r["system"], []).append(r)
    return found


def _mean(runs, key):
    return statistics.fmean(r[key] for r in runs)


def table(found: dict) -> str:
    lines = ["| dataset | system | seeds | test acc % | macro-F1 % | whole job s | x fastText tuned | "
             "predict texts/s | peak RSS MB | load before |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for dataset in [d for d in DATASETS if d in found] + sorted(set(found) - set(DATASETS)):
        systems = found[dataset]
        anchor = systems.get("fasttext_tuned")
        best = {key: max(_mean(runs, key) for s, runs in systems.items() if s != "textclass")
                for key in ("test_accuracy", "test_macro_f1") if len(systems) > 1}
        for system in [s for s in SYSTEMS + OPTIONAL_SYSTEMS if s in systems]:
            runs = systems[system]
            acc, f1 = _mean(runs, "test_accuracy"), _mean(runs, "test_macro_f1")
            spread = ""
            if len(runs) > 1:
                spread = f" ±{statistics.pstdev(100 * r['test_accuracy'] for r in runs):.2f}"
            bold = system == "textclass" and best and acc >= best["test_accuracy"] - 1e-9
            bold_f1 = system == "textclass" and best and f1 >= best["test_macro_f1"] - 1e-9
            wall = _mean(runs, "wall_seconds")
            ratio = f"{wall / _mean(anchor, 'wall_seconds'):.2f}" if anchor else "-"
            lines.append(
                f"| {dataset} | {system} | {len(runs)} | {'**' if bold else ''}{100 * acc:.2f}{'**' if bold else ''}"
                f"{spread} | {'**' if bold_f1 else ''}{100 * f1:.2f}{'**' if bold_f1 else ''} | {wall:.1f} | {ratio} | "
                f"{_mean(runs, 'predict_texts_per_second'):,.0f} | {_mean(runs, 'peak_rss_mb'):,.0f} | "
                f"{statistics.fmean(r['load_average_before'][0] for r in runs):.1f} |")
    return "\n".join(lines)


def write_markdown(text: str, path: Path = Path(__file__).parent.parent / "BENCHMARKS.md") -> None:
    content = path.read_text()
    if MARK_BEGIN not in content:
        raise SystemExit(f"{path} has no {MARK_BEGIN} ... {MARK_END} block to replace")
    head, rest = content.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    path.write_text(f"{head}{MARK_BEGIN}\n{text}\n{MARK_END}{tail}")


# -- children: the peers read the raw files without importing textclass ------------------------------------------
def read_split(manifest: dict, split: str) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with open(manifest[split], encoding="utf-8", newline="") as stream:
        rows = map(json.loads, stream) if manifest["format"] == "jsonl" else csv.DictReader(stream)
        for row in rows:
            texts.append(row["text"])
            labels.append(row[manifest["label_column"]])
    return texts, labels


def load_job_data(manifest_path: str):
    """(all of train, train without the held-out rows, the held-out rows, test), each as (texts, labels)."""
    manifest = json.loads(Path(manifest_path).read_text())
    texts, labels = read_split(manifest, "train")
    held = set(manifest["valid_rows"])

    def pick(rows):
        return [texts[i] for i in rows], [labels[i] for i in rows]

    rest = [i for i in range(len(texts)) if i not in held]
    return manifest, (texts, labels), pick(rest), pick(manifest["valid_rows"]), read_split(manifest, "test")


def scores(predicted, gold) -> dict:
    """Accuracy and macro-F1 (over the gold labels and any predicted ones), without importing scikit-learn."""
    labels = set(gold) | set(predicted)
    tp = {y: 0 for y in labels}
    fp, fn = dict(tp), dict(tp)
    for p, g in zip(predicted, gold):
        if p == g:
            tp[g] += 1
        else:
            fp[p] += 1
            fn[g] += 1
    f1 = [2 * tp[y] / (2 * tp[y] + fp[y] + fn[y]) if tp[y] + fp[y] + fn[y] else 0.0 for y in labels]
    return {"accuracy": sum(tp.values()) / len(gold), "macro_f1": sum(f1) / len(f1)}


PREDICT_REPEATS = 5


def timed_predict(predict, texts: list[str]) -> tuple[list, dict]:
    """(predictions, speed figures) of ``predict`` over all ``texts``, the same way for every system.

    The first call on a fresh process pays one-time costs (thread pools, lazy imports, allocator growth), so
    after a warm-up call on 100 texts the whole set is predicted ``PREDICT_REPEATS`` times and the median call
    counts; the first full call is kept too. CPU seconds (this process, all threads) are less moved by the
    machine's other jobs than wall seconds.
    """
    predict(texts[:100])
    walls, cpus, predicted = [], [], None
    for _ in range(PREDICT_REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        predicted = predict(texts)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return predicted, {"predict_texts_per_second": len(texts) / statistics.median(walls),
                       "predict_texts_per_second_first_call": len(texts) / walls[0],
                       "predict_cpu_seconds_per_call": round(statistics.median(cpus), 4),
                       "predict_repeats": PREDICT_REPEATS,
                       "load_average_at_predict": [round(x, 2) for x in os.getloadavg()]}


# fastText's classification example normalizes like this: lowercase, drop HTML breaks, split off punctuation.
_BREAK = re.compile(r"<br\s*/?>")
_PUNCT = re.compile(r"([.,!?()\";:])")


def ft_normalize(texts: list[str]) -> list[str]:
    joined = "\n".join(t.replace("\n", " ").replace("\r", " ") for t in texts).lower()
    return _PUNCT.sub(r" \1 ", _BREAK.sub(" ", joined)).split("\n")


def ft_input(texts, labels, path: Path, seed: int) -> str:
    lines = [f"__label__{y.replace(' ', '_')} {t}" for t, y in zip(ft_normalize(texts), labels)]
    random.Random(seed).shuffle(lines)  # fastText's SGD needs mixed classes; raw files often come grouped
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def worker_fasttext(manifest_path: str, tuned: bool) -> dict:
    import fasttext

    manifest, full, fit, valid, test = load_job_data(manifest_path)
    seed = manifest["seed"]
    names = {y.replace(" ", "_"): y for y in full[1]}  # fastText labels cannot hold spaces

    def train(path, **params):
        return fasttext.train_supervised(input=path, dim=50, thread=os.cpu_count(), verbose=0, seed=seed, **params)

    def predict(model, texts):
        predicted, _ = model.predict(ft_normalize(texts), k=1)
        return [names.get(p[0].removeprefix("__label__"), p[0]) for p in predicted]

    with tempfile.TemporaryDirectory() as tmp:
        if tuned:
            path, best = ft_input(*fit, Path(tmp) / "train.txt", seed), None
            for params in [{"lr": lr, "epoch": e, "wordNgrams": n} for lr in (0.1, 0.5, 1.0) for e in (10, 25)
                           for n in (1, 2)]:
                try:
                    candidate = train(path, **params)
                except RuntimeError:  # "Encountered NaN": this setting diverged, so it is not a candidate
                    continue
                score = scores(predict(candidate, valid[0]), valid[1])["accuracy"]
                if best is None or score > best[0]:
                    best = (score, params, candidate)  # only the best model is kept, as a user would
            score, chosen, model = best
            extra = {"chosen": chosen, "valid_accuracy": score}
        else:
            model = train(ft_input(*full, Path(tmp) / "train.txt", seed), lr=0.5, epoch=25, wordNgrams=2)
            extra = {}
        predicted, speed = timed_predict(lambda texts: predict(model, texts), test[0])
    s = scores(predicted, test[1])
    return {"test_accuracy": s["accuracy"], "test_macro_f1": s["macro_f1"], **speed, **extra}


def nb_ratios(x, y, n_classes: int):
    """Per class (one for two classes), log((p / |p|) / (q / |q|)) of smoothed binary counts in vs out."""
    import numpy as np

    ratios = []
    for k in ([1] if n_classes == 2 else range(n_classes)):
        p = np.asarray(x[y == k].sum(0)).ravel() + 1.0
        q = np.asarray(x[y != k].sum(0)).ravel() + 1.0
        ratios.append(np.log((p / p.sum()) / (q / q.sum())))
    return ratios


def worker_sklearn(manifest_path: str, system: str) -> dict:
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    _, _, fit, valid, test = load_job_data(manifest_path)
    classes = sorted(set(fit[1]))
    y_fit = np.array([classes.index(y) for y in fit[1]])
    if system == "tfidf_lr":
        vectorizer, grid = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), (1.0, 10.0, 100.0)
    else:
        vectorizer, grid = CountVectorizer(ngram_range=(1, 2), binary=True), (0.1, 1.0, 10.0)
    x_fit = vectorizer.fit_transform(fit[0])
    ratios = nb_ratios(x_fit, y_fit, len(classes)) if system == "nb_lr" else None

    def train(c):
        if ratios is None:
            return LogisticRegression(C=c, max_iter=1000).fit(x_fit, y_fit)
        targets = [1] if len(ratios) == 1 else range(len(ratios))
        return [LogisticRegression(C=c, max_iter=1000, solver="liblinear").fit(x_fit.multiply(r).tocsr(), y_fit == k)
                for k, r in zip(targets, ratios)]

    def predict(models, texts):
        x = vectorizer.transform(texts)
        if ratios is None:
            found = models.predict(x)
        elif len(models) == 1:
            found = models[0].predict(x.multiply(ratios[0]).tocsr()).astype(int)
        else:
            found = np.stack([m.decision_function(x.multiply(r).tocsr()) for m, r in zip(models, ratios)], 1).argmax(1)
        return [classes[i] for i in found]

    scored = [(scores(predict(models, valid[0]), valid[1])["accuracy"], c, models)
              for c, models in ((c, train(c)) for c in grid)]
    score, chosen, models = max(scored, key=lambda s: s[0])
    predicted, speed = timed_predict(lambda texts: predict(models, texts), test[0])
    s = scores(predicted, test[1])
    return {"test_accuracy": s["accuracy"], "test_macro_f1": s["macro_f1"], **speed, "chosen": {"C": chosen},
            "valid_accuracy": score}


def worker_predict(run_dir: str, manifest_path: str) -> dict:
    from textclass import TextClassifier

    texts, _ = read_split(json.loads(Path(manifest_path).read_text()), "test")
    started = time.perf_counter()
    clf = TextClassifier.load(run_dir)
    load_seconds = time.perf_counter() - started
    _, speed = timed_predict(clf.predict, texts)
    return {**speed, "load_seconds": round(load_seconds, 3)}


# -- many classes ---------------------------------------------------------------------------------------------
def synthetic_many_classes(classes: int, rows: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """Texts whose label is readable from a few class-specific words among shared noise words."""
    import numpy as np

    rng = np.random.default_rng(seed)
    labels = np.concatenate([np.arange(min(classes, rows)), rng.integers(0, classes, max(rows - classes, 0))])
    rng.shuffle(labels)
    texts = []
    noise = rng.integers(0, 5000, (rows, 8))
    keys = rng.integers(0, 3, rows)
    for label, words, key in zip(labels.tolist(), noise.tolist(), keys.tolist()):
        signal = f"k{label}x{key} k{label}y"
        texts.append(signal + " " + " ".join(f"w{w}" for w in words))
    return texts, [f"c{y}" for y in labels.tolist()]


def worker_many_classes(classes: int, rows: int) -> dict:
    import resource

    from textclass import TextClassifier

    texts, labels = synthetic_many_classes(classes, rows)
    started, cpu = time.perf_counter(), time.process_time()
    # No validation split: the figure is for 5 epochs of training, as the issue states the target.
    clf = TextClassifier(epochs=5, progress=False, valid_fraction=0.0).fit((texts, labels))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss_after_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    test_texts, test_labels = synthetic_many_classes(classes, 20_000, seed=1)
    # In slices: a whole 20,000 x 20,000 score matrix would be 1.6 GB of prediction, not of training.
    predicted = [p for i in range(0, len(test_texts), 1000) for p in clf.predict(test_texts[i : i + 1000])]
    accuracy = sum(p == g for p, g in zip(predicted, test_labels)) / len(test_labels)
    return {"train_seconds": seconds, "train_cpu_seconds": cpu, "peak_rss_mb_after_fit": rss_after_fit,
            "test_accuracy": accuracy,
            "peak_rss_mb_in_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "model": clf.config()["model"]}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--datasets", default=",".join(DATASETS))
    p.add_argument("--systems", default=",".join(SYSTEMS), help=f"any of {', '.join(SYSTEMS + OPTIONAL_SYSTEMS)}")
    p.add_argument("--seeds", default="auto", help="comma-separated seeds; auto: 0,1,2 on cr and mpqa, 0 elsewhere")
    p.add_argument("--results", default=str(RESULTS), help="folder of the per-job JSON files (default %(default)s)")
    p.add_argument("--force", action="store_true", help="rerun jobs whose result file exists")
    p.add_argument("--textclass-flags", default="",
                   help="extra `textclass train` flags, e.g. '--char-weight 1' to measure a default's rule against "
                        "its absence (give --results a folder of its own)")
    p.add_argument("--table", action="store_true", help="print the table of every result file and exit")
    p.add_argument("--write-md", action="store_true", help="with --table: put it into BENCHMARKS.md")
    p.add_argument("--many-classes", action="store_true", help="run the many-classes check instead")
    p.add_argument("--classes", type=int, default=20_000)
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--manifest", help=argparse.SUPPRESS)
    p.add_argument("--run", help=argparse.SUPPRESS)
    args = p.parse_args()
    set_results(args.results)
    if args.worker:
        if args.worker == "predict":
            result = worker_predict(args.run, args.manifest)
        elif args.worker == "many_classes":
            result = worker_many_classes(args.classes, args.rows)
        elif args.worker.startswith("fasttext"):
            result = worker_fasttext(args.manifest, tuned=args.worker == "fasttext_tuned")
        else:
            result = worker_sklearn(args.manifest, args.worker)
        print(json.dumps(result))
        return
    if args.table:
        text = table(collect())
        print(text)
        if args.write_md:
            write_markdown(text)
        return
    if args.many_classes:
        load = [round(x, 2) for x in os.getloadavg()]
        usage: dict = {}
        out, wall, peak = run_measured([sys.executable, __file__, "--worker", "many_classes",
                                        "--classes", str(args.classes), "--rows", str(args.rows)], usage)
        result = {"classes": args.classes, "rows": args.rows, "wall_seconds": round(wall, 2), **usage,
                  "peak_rss_mb": round(peak, 1), "load_average_before": load, **last_json(out), "machine": machine()}
        write_json(RESULTS.parent / f"many_classes_{args.classes}x{args.rows}.json", result)
        print(json.dumps(result, indent=2))
        return
    systems = [s for s in args.systems.split(",") if s]
    unknown = sorted(set(systems) - set(SYSTEMS + OPTIONAL_SYSTEMS))
    if unknown:
        raise SystemExit(f"unknown systems {unknown}; known: {', '.join(SYSTEMS + OPTIONAL_SYSTEMS)}")
    with tempfile.TemporaryDirectory(prefix="bench-devsuite-") as tmp:
        for dataset in [d for d in args.datasets.split(",") if d]:
            seeds = ([0, 1, 2] if dataset in SPREAD_DATASETS else [0]) if args.seeds == "auto" else \
                [int(s) for s in args.seeds.split(",")]
            for seed in seeds:
                todo = [s for s in systems if args.force or not result_path(dataset, s, seed).exists()]
                if not todo:
                    continue
                prep = prepare(dataset, seed, Path(tmp))
                for system in todo:  # one dataset's systems back to back, so they share the machine's load
                    try:
                        result = run_job(system, dataset, prep, Path(tmp), shlex.split(args.textclass_flags))
                    except RuntimeError as exc:
                        print(exc, file=sys.stderr, flush=True)
                        continue
                    write_json(result_path(dataset, system, seed), {**result, "machine": machine()})
                    print(f"{dataset:10s} {system:15s} seed {seed}: acc {result['test_accuracy']:.4f} "
                          f"F1 {result['test_macro_f1']:.4f}  job {result['wall_seconds']} s  "
                          f"predict {result['predict_texts_per_second']:,.0f}/s  peak {result['peak_rss_mb']} MB  "
                          f"load {result['load_average_before'][0]}", flush=True)
    print("\n" + table(collect()))


if __name__ == "__main__":
    main()
