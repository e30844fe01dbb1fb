"""`textclass tune`: search a model's settings with Optuna, then save the best as an ordinary run."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

from ..artifact import check_target
from ..data import stratified_split
from ..data.selection import load_splits
from ..errors import ConfigError
from ..evaluation import format_report
from ..models import DEFAULT_MODEL, MODELS
from ..training import TrainingConfig
from .common import add_data_flags, add_model_flags, add_training_flags, model_params_from, training_options_from
from .train import _check_test_labels

log = logging.getLogger("textclass.tune")

def add_parser(sub) -> None:
    p = sub.add_parser("tune", help="search hyperparameters (Optuna) and save the best run",
                       description="Search the model's hyperparameters with Optuna (TPE sampling; trials that fall "
                                   "behind on validation after an epoch are pruned), keep the study in a SQLite "
                                   "file so an interrupted search resumes, report the best trial on the test split "
                                   "and save it to --out as an ordinary run. Settings given as flags are fixed for "
                                   "every trial; `textclass models` lists what each model searches.")
    p.add_argument("--out", required=True, metavar="DIR", help="run directory for the best trial")
    p.add_argument("--model", default=DEFAULT_MODEL, choices=MODELS.names(), help=f"model family (default {DEFAULT_MODEL})")
    add_data_flags(p, training=True)
    s = p.add_argument_group("search")
    s.add_argument("--trials", type=int, default=20, metavar="N",
                   help="finished trials (completed or pruned) the study should hold, counting those of earlier "
                        "or concurrent runs of the same study (default 20)")
    s.add_argument("--timeout", type=float, metavar="SECONDS", help="stop starting trials after this long")
    s.add_argument("--storage", metavar="URL_OR_PATH",
                   help="Optuna storage: a database URL or a SQLite file path (default: DIR.study.db beside --out); "
                        "processes given the same storage and study name share the search")
    s.add_argument("--study-name", metavar="NAME", help="study within the storage (default: MODEL-MONITOR)")
    s.add_argument("--sampler-seed", type=int, metavar="N",
                   help="seed of the TPE sampler (default: from --seed and the trials already run); give each of "
                        "several processes started together on one study its own")
    add_training_flags(p)  # a training option given as a flag is fixed for every trial
    add_model_flags(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..tune import plot_importance, summary_table, tune

    fixed = {**training_options_from(args), **model_params_from(args)}
    defaults = TrainingConfig()
    seed, monitor = fixed.get("seed", defaults.seed), fixed.get("monitor", defaults.monitor)
    valid_fraction = fixed.get("valid_fraction", defaults.valid_fraction)
    check_target(args.out)
    out = Path(args.out)
    storage = args.storage or out.with_name(out.name + ".study.db")
    splits = load_splits(args.data, train=args.train, valid=args.valid, test=args.test, data_dir=args.data_dir,
                         text_column=args.text_column, label_column=args.label_column, skip_empty=args.skip_empty,
                         limit=args.limit, seed=seed)
    _check_test_labels(splits)
    train, valid = splits.train, splits.valid
    if valid is None:  # held out once, so that every trial is scored on the same texts
        if not 0 < valid_fraction < 1:
            raise ConfigError(f"--valid-fraction must be between 0 and 1 for tuning, got {valid_fraction}")
        train, valid = stratified_split(train, valid_fraction, seed)
        log.info("validation: held out %d of %d training texts (stratified, seed %d)", len(valid),
                 len(train) + len(valid), seed)
    result = tune(args.model, train, valid, trials=args.trials, timeout=args.timeout, storage=storage,
                  study_name=args.study_name, fixed=fixed, sampler_seed=args.sampler_seed)
    print(summary_table(result.study))
    print(f"\nbest: validation {monitor} {result.best_value:.4f} with "
          + " ".join(f"{k}={v}" for k, v in sorted(result.best_params.items())))
    plot = plot_importance(result.study, _beside(storage, out, ".importance.png"))
    if plot is not None:
        print(f"importance plot: {plot}")
    metrics = None
    if splits.test is not None:
        metrics = result.classifier.evaluate(splits.test, device=fixed.get("device"))
        print(format_report(metrics, title=f"Test report of the best trial ({splits.test.origin})"))
    saved = result.classifier.save(args.out, metrics=metrics)
    print(f"\nsaved run to {saved}\nstudy: {storage} (name {result.study.study_name})")
    return 0


def _beside(storage, out: Path, suffix: str) -> Path:
    """Next to the study's SQLite file when it is one, else next to --out."""
    text = str(storage)
    if text.startswith("sqlite:///"):
        path = Path(text[len("sqlite:///"):])
    elif "://" not in text:
        path = Path(text)
    else:
        path = out
    if path == out:
        return out.with_name(out.name + suffix)
    return path.with_name(path.name.removesuffix(".db").removesuffix(".study") + suffix)
