"""`textclass train`: read data, fit, report on the test split, save the run directory."""
from __future__ import annotations

import argparse

from ..classifier import TextClassifier
from ..data.selection import load_splits
from ..evaluation import format_report
from ..models import MODELS
from ..training import SCHEDULES
from .common import add_data_flags, add_model_flags, model_params_from

DEFAULT_MODEL = "bilstm"


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a classifier and save a run directory",
                       description="Train a classifier, print per-epoch figures and the test report, and save "
                                   "everything needed to predict into --out.")
    p.add_argument("--out", required=True, metavar="DIR", help="run directory to write (replaced atomically)")
    p.add_argument("--model", default=DEFAULT_MODEL, choices=MODELS.names(),
                   help=f"model family (default {DEFAULT_MODEL})")
    add_data_flags(p, training=True)
    g = p.add_argument_group("training")
    g.add_argument("--epochs", type=int, help="passes over the training data (default: the model's; bilstm 5)")
    g.add_argument("--batch-size", type=int, help="texts per batch (default: the model's; bilstm 64)")
    g.add_argument("--lr", type=float, help="learning rate (default: the model's; bilstm 1e-3)")
    g.add_argument("--weight-decay", type=float, help="L2 weight decay (default 0)")
    g.add_argument("--clip-grad-norm", type=float, help="gradient norm clip, 0 disables (default 1.0)")
    g.add_argument("--lr-schedule", choices=SCHEDULES, help="learning-rate schedule (default constant)")
    g.add_argument("--warmup-steps", type=int, help="linear warm-up steps (default 0)")
    g.add_argument("--patience", type=int, help="stop after this many epochs without validation improvement")
    g.add_argument("--monitor", choices=("accuracy", "macro_f1", "loss"),
                   help="validation metric that selects the kept epoch (default accuracy)")
    g.add_argument("--seed", type=int, default=0, help="seed for splits, sampling, initialisation (default 0)")
    g.add_argument("--device", default="auto", help="auto (CUDA when present), cpu, cuda, cuda:1 ...")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")
    add_model_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    clf = TextClassifier(args.model, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         weight_decay=args.weight_decay, clip_grad_norm=args.clip_grad_norm,
                         lr_schedule=args.lr_schedule, warmup_steps=args.warmup_steps, patience=args.patience,
                         monitor=args.monitor, valid_fraction=args.valid_fraction, seed=args.seed,
                         device=args.device, progress=not args.no_progress, **model_params_from(args))
    splits = load_splits(args.data, train=args.train, valid=args.valid, test=args.test, data_dir=args.data_dir,
                         text_column=args.text_column, label_column=args.label_column, skip_empty=args.skip_empty,
                         limit=args.limit, seed=args.seed)
    clf.fit(splits.train, valid=splits.valid)
    metrics = None
    if splits.test is not None:
        metrics = clf.evaluate(splits.test, device=args.device)
        print(format_report(metrics, title=f"Test report ({splits.test.origin})"))
    out = clf.save(args.out, metrics=metrics)
    print(f"\nsaved run to {out}")
    return 0
