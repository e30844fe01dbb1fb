"""Every model family on IMDB and BANKING77: test accuracy, seconds per epoch, peak memory.

Each (model, dataset) job runs in its own process. Slow models on a small CPU take a stated subset
(--imdb-limit) or fewer epochs (--epochs); the JSON records exactly what ran.

    python benchmarks/bench_models.py --models cnn,bilstm_attn --imdb-limit 5000 --epochs 2
    python benchmarks/bench_models.py --models bilstm --embeddings imdb.vec --datasets imdb
    python benchmarks/bench_models.py --models cnn --datasets imdb --params '{}' --params '{"num_filters": 200}'

Each --params is one variant (repeat it for a grid). Each job records its validation accuracy per epoch, so a
variant can be chosen on validation alone and its test figure read afterwards.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import python_cmd, run_child, write_results  # noqa: E402


def load(dataset: str, limit: int | None, seed: int):
    from textclass.data import resolve_data_dir
    from textclass.data.selection import load_splits

    if dataset == "imdb":
        return load_splits("imdb", limit=limit, seed=seed)
    folder = resolve_data_dir() / "banking77"
    return load_splits(train=folder / "train.csv", test=folder / "test.csv", limit=limit, seed=seed)


def worker(args) -> dict:
    import torch

    from textclass import TextClassifier

    started = time.perf_counter()
    splits = load(args.dataset, args.limit, args.seed)
    params = json.loads(args.params[0])
    clf = TextClassifier(args.model, seed=args.seed, progress=False, device=args.device, **params)
    clf.fit(splits.train)
    fitted = time.perf_counter()
    report = clf.evaluate(splits.test, device=args.device)
    result = {
        "model": args.model, "dataset": args.dataset, "params": params, "limit": args.limit,
        "train_texts": len(splits.train), "test_texts": len(splits.test),
        "epochs_run": len(clf.history_), "best_epoch": clf.best_epoch_,
        "epoch_seconds": [round(row["seconds"], 2) for row in clf.history_],
        "valid_accuracy": [round(row.get("valid_accuracy", float("nan")), 4) for row in clf.history_],
        "test_accuracy": report["accuracy"], "test_macro_f1": report["macro_f1"],
        "fit_seconds": round(fitted - started, 2), "test_eval_seconds": round(time.perf_counter() - fitted, 2),
    }
    if args.device != "cpu" and torch.cuda.is_available():
        result["gpu"] = torch.cuda.get_device_name()
        result["gpu_peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", default="cnn,bilstm_attn,bilstm")
    p.add_argument("--datasets", default="imdb,banking77")
    p.add_argument("--imdb-limit", type=int, help="stratified sample of N IMDB texts per split (default: all)")
    p.add_argument("--epochs", type=int, help="override every model's epoch count")
    p.add_argument("--params", action="append", help="JSON of extra TextClassifier arguments; repeat for variants")
    p.add_argument("--embeddings", help="also run each vocabulary model with these pretrained vectors")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="benchmarks/results/models.json")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--model", help=argparse.SUPPRESS)
    p.add_argument("--dataset", help=argparse.SUPPRESS)
    p.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    variants = [json.loads(text) for text in args.params or ["{}"]]
    if args.epochs:
        variants = [{**variant, "epochs": args.epochs} for variant in variants]
    jobs = []
    for dataset in args.datasets.split(","):
        for model in args.models.split(","):
            for variant in variants:
                jobs.append((model, dataset, variant))
                if args.embeddings and model not in ("transformer", "ngram"):
                    jobs.append((model, dataset, {**variant, "embeddings": args.embeddings}))
    results = []
    for model, dataset, params in jobs:
        limit = args.imdb_limit if dataset == "imdb" else None
        cmd = python_cmd(__file__, "--worker", "--model", model, "--dataset", dataset, "--params", json.dumps(params),
                         "--device", args.device, "--seed", str(args.seed), *(["--limit", str(limit)] if limit else []))
        result, peak = run_child(cmd)
        result["peak_rss_mb"] = peak
        results.append(result)
        print(f"{model:12s} {dataset:9s} {json.dumps(params):40s} test acc {result['test_accuracy']:.4f}  "
              f"s/epoch {result['epoch_seconds']}  peak RSS {peak} MB", flush=True)
        # Rewritten after every job, so a run cut short keeps what it finished.
        write_results(args.out, {"args": vars(args), "results": results})


if __name__ == "__main__":
    main()
