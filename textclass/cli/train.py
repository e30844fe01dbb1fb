"""`textclass train`: read data, fit, report on the test split, save the run directory."""
from __future__ import annotations

import argparse

from ..artifact import RunExistsError, writing
from ..augment import METHODS as AUGMENT_METHODS
from ..classifier import TextClassifier
from ..data.selection import load_splits
from ..errors import ArtifactError, ConfigError, DataError
from ..evaluation import format_report
from ..models import DEFAULT_MODEL, MODELS
from .common import add_data_flags, add_model_flags, add_training_flags, model_params_from, training_options_from


def add_parser(sub) -> None:
    p = sub.add_parser("train", help="train a classifier and save a run directory",
                       description="Train a classifier, print per-epoch figures and the test report, and save "
                                   "everything needed to predict into --out.")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="run directory to write: a new or empty folder, or an existing run with --overwrite")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the run already at --out (only ever a textclass run; other folders are refused)")
    p.add_argument("--model", default=DEFAULT_MODEL, choices=MODELS.names(),
                   help=f"model family (default {DEFAULT_MODEL})")
    add_data_flags(p, training=True)
    add_training_flags(p)
    a = p.add_argument_group("augmentation (adds variants of training texts only; off by default)")
    a.add_argument("--augment", choices=AUGMENT_METHODS.names(),
                   help="eda: synonym replacement, random insertion, swap and deletion (Wei & Zou 2019). "
                        "Back-translation needs your own translate function, so it is set from the Python API "
                        "only: TextClassifier(augment=BackTranslation(translate))")
    a.add_argument("--augment-copies", type=int, metavar="N", help="variants added per training text (default 1)")
    a.add_argument("--augment-alpha", type=float, metavar="F",
                   help="EDA rate: share of a text's words each edit touches (default 0.1)")
    a.add_argument("--augment-vectors", metavar="PATH",
                   help="word vectors (.vec/.txt/.bin) whose nearest neighbours serve as synonyms; required for "
                        "synonym replacement and insertion; without it only swap and deletion run")
    add_model_flags(p)
    p.set_defaults(run=run)


def _augment_setting(args: argparse.Namespace) -> dict | None:
    # Unset flags stay out, so the defaults live in one place (the augmenter), not here as well.
    given = {"copies": args.augment_copies, "alpha": args.augment_alpha, "vectors": args.augment_vectors}
    given = {key: value for key, value in given.items() if value is not None}
    if args.augment is None:
        if given:
            raise ConfigError(f"--augment-{'/--augment-'.join(given)} apply only with --augment eda")
        return None
    return {"method": args.augment, **given}


def run(args: argparse.Namespace) -> int:
    clf = TextClassifier(args.model, augment=_augment_setting(args), **training_options_from(args),
                         **model_params_from(args))
    # An unusable --out is refused now, not after training; the lock keeps a second training off it meanwhile.
    try:
        with writing(args.out, overwrite=args.overwrite):
            return _train(clf, args)
    except RunExistsError as exc:
        raise ArtifactError(f"{exc.path} is a textclass run; add --overwrite to replace it") from None


def _train(clf: TextClassifier, args: argparse.Namespace) -> int:
    cfg = clf.training_config()
    splits = load_splits(args.data, train=args.train, valid=args.valid, test=args.test, data_dir=args.data_dir,
                         text_column=args.text_column, label_column=args.label_column, skip_empty=args.skip_empty,
                         limit=args.limit, seed=cfg.seed, progress=cfg.progress)
    _check_test_labels(splits)
    clf.fit(splits.train, valid=splits.valid)
    if args.text_column or args.label_column:
        clf.data_columns = {"text_column": args.text_column, "label_column": args.label_column}
    metrics = None
    if splits.test is not None:
        metrics = clf.evaluate(splits.test, device=cfg.device)
        print(format_report(metrics, title=f"Test report ({splits.test.origin})"))
    out = clf.save(args.out, metrics=metrics, overwrite=args.overwrite)
    print(f"\nsaved run to {out}")
    return 0


def _check_test_labels(splits) -> None:
    """A test label that train lacks would only surface after training; say so before spending that time."""
    train, test = splits.train, splits.test
    if test is None or test.labels is None or train is None or train.labels is None:
        return
    known = set(train.labels)
    unseen = sorted(set(test.labels) - known)
    if unseen:
        first = next(i for i, label in enumerate(test.labels) if label not in known) + 1
        raise DataError(f"labels the training data never had: {', '.join(map(repr, unseen[:10]))} "
                        f"(first at example {first})", path=test.origin, field="label")
