"""The tutorial's BiLSTM configuration on IMDB: seconds per epoch, peak memory and test accuracy,
with packed sequences (textclass) against reading the final states after the padding (the tutorial).

Each variant runs in its own process so that peak memory is that variant's alone.

    python benchmarks/bench_bilstm.py --device cpu --epochs 1 --limit 5000
    python benchmarks/bench_bilstm.py --device cuda --epochs 5          # full official split

Variants:
    packed      pack=True,  length-bucketed batches   (textclass's default)
    padded      pack=False, length-bucketed batches   (the defect, with textclass's batching)
    tutorial    pack=False, plain shuffled batches    (the tutorial as written)
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import python_cmd, run_child, write_results  # noqa: E402

VARIANTS = {
    "packed": {"pack": True, "length_bucketing": True},
    "padded": {"pack": False, "length_bucketing": True},
    "tutorial": {"pack": False, "length_bucketing": False},
}


def worker(args) -> dict:
    import torch

    from textclass import TextClassifier
    from textclass.data.selection import load_splits

    started = time.perf_counter()
    splits = load_splits("imdb", limit=args.limit, seed=args.seed)
    variant = VARIANTS[args.worker]
    clf = TextClassifier("bilstm", epochs=args.epochs, device=args.device, seed=args.seed, progress=False,
                         length_bucketing=variant["length_bucketing"], pack=variant["pack"])
    clf.fit(splits.train)
    eval_started = time.perf_counter()
    report = clf.evaluate(splits.test, device=args.device)
    eval_seconds = time.perf_counter() - eval_started
    result = {
        "variant": args.worker, **variant,
        "train_texts": len(splits.train), "test_texts": len(splits.test),
        "epoch_seconds": [round(row["seconds"], 2) for row in clf.history_],
        "history": clf.history_, "best_epoch": clf.best_epoch_,
        "test_accuracy": report["accuracy"], "test_macro_f1": report["macro_f1"],
        "test_eval_seconds": round(eval_seconds, 2), "total_seconds": round(time.perf_counter() - started, 2),
    }
    if torch.cuda.is_available() and args.device != "cpu":
        result["gpu"] = torch.cuda.get_device_name()
        result["gpu_peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return result


def run_variant(name: str, args) -> dict:
    limit = ["--limit", str(args.limit)] if args.limit else []
    result, peak_rss_mb = run_child(python_cmd(__file__, "--worker", name, "--device", args.device,
                                               "--epochs", str(args.epochs), "--seed", str(args.seed), *limit))
    return {**result, "peak_rss_mb": peak_rss_mb}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variants", default="packed,padded,tutorial")
    p.add_argument("--device", default="cpu")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--limit", type=int, help="stratified sample of N texts per split (default: full split)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="benchmarks/results/bilstm.json")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    results = []
    for name in args.variants.split(","):
        result = run_variant(name, args)
        results.append(result)
        print(f"{name:9s} epochs {result['epoch_seconds']} s  test acc {result['test_accuracy']:.4f}  "
              f"eval {result['test_eval_seconds']} s  peak RSS {result['peak_rss_mb']} MB"
              + (f"  GPU peak {result['gpu_peak_memory_mb']} MB" if "gpu_peak_memory_mb" in result else ""),
              flush=True)
    write_results(args.out, {"args": vars(args), "results": results})


if __name__ == "__main__":
    main()
