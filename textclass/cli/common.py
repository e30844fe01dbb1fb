"""Flags and helpers shared by the commands."""
from __future__ import annotations

import argparse
import logging
import sys

from ..models import MODELS
from ..training import OPTIONS
from ..training.config import option_type


def setup_logging(quiet: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("textclass")
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING if quiet else logging.INFO)
    root.propagate = False


def add_data_flags(parser: argparse.ArgumentParser, *, training: bool) -> None:
    g = parser.add_argument_group("data")
    g.add_argument("--data", metavar="NAME", help="a built-in source (see `textclass datasets`), e.g. imdb")
    g.add_argument("--data-dir", metavar="DIR",
                   help="where built-in sources are found or downloaded (default: $TEXTCLASS_DATA, else "
                        "~/.cache/textclass)")
    if training:
        g.add_argument("--train", metavar="FILE", help="training file: .csv .tsv .jsonl, fastText .txt, or a "
                                                       "folder with one subfolder of .txt files per label")
        g.add_argument("--valid", metavar="FILE", help="validation file (default: a stratified hold-out of train, "
                                                       "--valid-fraction)")
    g.add_argument("--test", metavar="FILE", help="test file, used only for the final report")
    g.add_argument("--text-column", metavar="NAME", help="column/key holding the text (default: text)")
    g.add_argument("--label-column", metavar="NAME", help="column/key holding the label (default: label, or "
                                                          "the only other column of a two-column file)")
    g.add_argument("--label-separator", metavar="SEP",
                   help="split each label cell on SEP into a set of labels (multi-label data), e.g. '|' for "
                        "billing|urgent; JSON Lines label lists and several __label__ prefixes need no flag")
    g.add_argument("--skip-empty", action="store_true",
                   help="skip rows whose text is empty (counted in the log) instead of stopping with an error")
    g.add_argument("--limit", type=int, metavar="N",
                   help="use a stratified, seeded sample of N texts from each split (quick runs)")


def model_flag_types() -> dict[str, type]:
    """Every hyperparameter of every registered model and its encoder, typed by its default."""
    from ..classifier import TextClassifier

    types: dict[str, type] = {}
    for name in MODELS.names():
        for key, default in TextClassifier.hyperparameters(name).items():
            types.setdefault(key, type(default) if default is not None else str)
    return types


def add_model_flags(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("model hyperparameters (by constructor name; each model takes its own subset, "
                                  "see `textclass models`)")
    for key, kind in sorted(model_flag_types().items()):
        flag = "--" + key.replace("_", "-")
        if kind is bool:
            g.add_argument(flag, dest=f"hp_{key}", action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS,
                           help=f"{key} (bool)")
        else:
            g.add_argument(flag, dest=f"hp_{key}", type=kind, default=argparse.SUPPRESS, metavar=kind.__name__.upper(),
                           help=f"{key} ({kind.__name__})")


def model_params_from(args: argparse.Namespace) -> dict:
    return {k[3:]: v for k, v in vars(args).items() if k.startswith("hp_")}


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_training_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainingConfig field, its help, type and choices read from the field."""
    g = parser.add_argument_group("training (defaults: the model family's, see `textclass models`)")
    for name, field in OPTIONS.items():
        meta, kind = field.metadata, option_type(name)
        text = f"{meta['help']} ({model_defaults(name)})"
        if kind is bool:
            g.add_argument(flag(name), dest=f"opt_{name}", action=argparse.BooleanOptionalAction,
                           default=argparse.SUPPRESS, help=text)
        else:
            g.add_argument(flag(name), dest=f"opt_{name}", type=kind, choices=meta["choices"], default=argparse.SUPPRESS,
                           metavar=None if meta["choices"] else kind.__name__.upper(), help=text)


def training_options_from(args: argparse.Namespace) -> dict:
    return {k[4:]: v for k, v in vars(args).items() if k.startswith("opt_")}


def model_defaults(key: str) -> str:
    """A training option's default, naming the model families that set their own."""

    def shown(value) -> str:
        return "none" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    fallback = OPTIONS[key].default
    own = [f"{name} {shown(cls.training_defaults[key])}" for name, cls in MODELS.aliases().items()
           if cls.training_defaults.get(key, fallback) != fallback]
    if not own:
        return f"default {shown(fallback)}"
    return f"default: the model's; {', '.join(own)}, others {shown(fallback)}"
