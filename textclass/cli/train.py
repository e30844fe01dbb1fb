"""`textclass train`: read data, fit, report on the test split, save the run directory."""
from __future__ import annotations

import argparse
import contextlib
import logging
from pathlib import Path

from ..artifact import RunExistsError, check_target, writing
from ..augment import METHODS as AUGMENT_METHODS
from ..classifier import TextClassifier
from ..data.selection import DataSplits, load_splits
from ..data.stream import DEFAULT_CHUNK_ROWS, TextStream
from ..errors import ArtifactError, ConfigError, DataError
from ..evaluation import format_report
from ..models import DEFAULT_MODEL, MODELS
from ..training import Checkpointer, checkpoint_dir_for, distributed
from ..report import REPORT_FILE, build_report, missing_library
from .common import add_data_flags, add_model_flags, add_training_flags, model_params_from, training_options_from
from .launch import relaunch

log = logging.getLogger("textclass")


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
    c = p.add_argument_group("checkpoints (kept in .DIR.checkpoints/ beside --out until the run is saved)")
    c.add_argument("--checkpoint-every", type=int, metavar="STEPS",
                   help="also checkpoint every STEPS optimizer steps (default: only at the end of each epoch)")
    c.add_argument("--resume", action="store_true",
                   help="continue from the newest checkpoint of an interrupted training with the same command "
                        "(same data and settings); the result is as if it had never stopped")
    d = p.add_argument_group("distributed (PyTorch DDP: gloo on CPU, NCCL on GPU)")
    d.add_argument("--nproc", type=int, metavar="N",
                   help="train with N processes on this machine (starts torchrun --standalone); for several "
                        "machines run `torchrun --nnodes ... -m textclass train ...` yourself (README). "
                        "--batch-size is per process: the global batch is N times it")
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
    s = p.add_argument_group("data larger than memory")
    s.add_argument("--stream", action="store_true",
                   help="read --train (and --valid) a chunk at a time instead of whole: the encoded ids are kept "
                        "on disk beside --out, memory-mapped, and removed when training ends, so memory follows "
                        "the model and the batch, not the data (the --test file is still read whole)")
    s.add_argument("--stream-chunk", type=int, default=DEFAULT_CHUNK_ROWS, metavar="ROWS",
                   help=f"rows read and encoded at a time with --stream (default {DEFAULT_CHUNK_ROWS:,})")
    p.add_argument("--no-report", action="store_true",
                   help="do not write RUN/report.html (it needs the report extra: matplotlib, jinja2)")
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
    cfg = clf.training_config()
    if args.nproc is not None and args.nproc > 1 and not distributed.launched_by_torchrun():
        with _out_flags():  # settings and --out fail here, once, not in N processes
            check_target(args.out, overwrite=args.overwrite)
        return relaunch(args.argv, args.nproc)
    group = distributed.init_from_environment(cfg.device)
    try:
        if group is not None and not group.is_main:
            return _train(args, clf, cfg, group)  # rank 0 holds --out and writes the run
        # An unusable --out is refused now, not after training; the lock keeps a second training off it meanwhile.
        with _out_flags(), writing(args.out, overwrite=args.overwrite):
            return _train(args, clf, cfg, group)
    finally:
        distributed.shutdown()


@contextlib.contextmanager
def _out_flags():
    """The library's refusal to replace a run without overwrite=True, in the CLI's words."""
    try:
        yield
    except RunExistsError as exc:
        raise ArtifactError(f"{exc.path} is a textclass run; add --overwrite to replace it") from None


def _train(args: argparse.Namespace, clf: TextClassifier, cfg, group) -> int:
    if group is not None and not group.is_main:
        logging.getLogger("textclass").setLevel(logging.ERROR)  # one log: rank 0's
    checkpoints = Checkpointer(checkpoint_dir_for(args.out), every_steps=args.checkpoint_every, resume=args.resume)
    if not args.resume and checkpoints.checkpoints():
        raise ConfigError(f"{checkpoints.directory} holds checkpoints of an interrupted training: add --resume "
                          "to continue it, or remove that folder to start over")
    if args.resume and not checkpoints.checkpoints():
        log.warning("--resume: no checkpoint in %s; training from the start", checkpoints.directory)
    write_report = _report_wanted(args.no_report)
    if args.stream:
        splits, work_dir = _streamed_splits(args), Path(args.out).resolve().parent
    else:
        splits = load_splits(args.data, train=args.train, valid=args.valid, test=args.test, data_dir=args.data_dir,
                             text_column=args.text_column, label_column=args.label_column,
                             skip_empty=args.skip_empty, limit=args.limit, seed=cfg.seed, progress=cfg.progress,
                             label_separator=args.label_separator)
        _check_test_labels(splits)
        work_dir = None
    clf.fit(splits.train, valid=splits.valid, checkpoints=checkpoints, work_dir=work_dir)
    if group is not None and not group.is_main:
        return 0  # rank 0 evaluates and writes the run
    if args.text_column or args.label_column:
        clf.data_columns = {"text_column": args.text_column, "label_column": args.label_column}
    metrics = evaluation = None
    if splits.test is not None:
        evaluation = clf.evaluation(splits.test, device=cfg.device)
        metrics = evaluation.report
        print(format_report(metrics, title=f"Test report ({splits.test.origin})"))
    files = None
    if write_report and not clf.multi_label:  # the report's figures are single-label ones
        files = {REPORT_FILE: build_report(clf, evaluation, title=f"textclass run {args.out}")}
    out = clf.save(args.out, metrics=metrics, files=files, overwrite=args.overwrite)
    checkpoints.clear()  # the run they were for is saved
    print(f"\nsaved run to {out}")
    return 0


def _streamed_splits(args: argparse.Namespace) -> DataSplits:
    """--stream: the training (and validation) file as TextStreams; the test file, if any, read whole."""
    if args.train is None or args.data is not None:
        raise ConfigError("--stream reads a --train FILE a chunk at a time; built-in sources (--data) are read whole")
    if args.limit is not None or args.augment is not None:
        raise ConfigError(f"--{'limit' if args.limit is not None else 'augment'} needs the texts in memory; "
                          "it cannot be combined with --stream")
    if args.stream_chunk < 1:
        raise ConfigError(f"--stream-chunk must be at least 1, got {args.stream_chunk}")

    def stream(path):
        return None if path is None else TextStream(path, text_column=args.text_column, label_column=args.label_column,
                                                    skip_empty=args.skip_empty, label_separator=args.label_separator,
                                                    chunk_size=args.stream_chunk)

    test = None
    if args.test is not None:
        test = load_splits(test=args.test, need_train=False, text_column=args.text_column,
                           label_column=args.label_column, skip_empty=args.skip_empty,
                           label_separator=args.label_separator).test
    return DataSplits(train=stream(args.train), valid=stream(args.valid), test=test)


def _report_wanted(no_report: bool) -> bool:
    """report.html is a bonus of the run: without its libraries, say so before training and go on without it."""
    if no_report:
        return False
    missing = missing_library()
    if missing:
        log.warning("report.html will not be written: %s is missing (pip install 'textclass[report]')", missing)
    return missing is None


def _check_test_labels(splits) -> None:
    """A test label that train lacks would only surface after training; say so before spending that time."""
    train, test = splits.train, splits.test
    if test is None or not test.is_labeled or train is None or not train.is_labeled:
        return
    known = set(train.label_names())
    unseen = sorted(set(test.label_names()) - known)
    if unseen:
        first = next(i for i, labels in enumerate(test.as_label_sets()) if not set(labels) <= known) + 1
        raise DataError(f"labels the training data never had: {', '.join(map(repr, unseen[:10]))} "
                        f"(first at example {first})", path=test.origin, field="label")
