"""`textclass models`: registered models and the hyperparameters each accepts, with defaults."""
from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("models", help="list models and their hyperparameters")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..classifier import TextClassifier
    from ..models import MODELS

    for name in MODELS.names():
        canonical = MODELS.canonical(name)
        if canonical != name:
            continue
        aliases = [a for a in MODELS.names() if a != name and MODELS.canonical(a) == name]
        doc = (MODELS.get(name).__doc__ or "").strip().splitlines()[0]
        print(f"{name} ({', '.join(aliases)}): {doc}")
        for key, default in TextClassifier.hyperparameters(name).items():
            print(f"    --{key.replace('_', '-'):<22} {default!r}")
        space = MODELS.get(name).search_space
        if space:
            print("  `textclass tune` searches: " + "; ".join(f"{k} {r.describe()}" for k, r in space.items()))
    return 0
