"""The augmentation interface: add variants of each training text, and the ``augment=`` setting's forms.

An augmenter derives from ``base.Augmenter``: ``generate(texts, copies, rng)``, and ``fit``/``config`` when it
needs them.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass

from ..data import TextDataset
from ..errors import ConfigError
from ..registry import Registry, constructor_defaults
from .base import Augmenter
from .eda import EDA

log = logging.getLogger("textclass.augment")

METHODS: Registry = Registry("augmentation method", base=Augmenter)
METHODS.register("eda")(EDA)


def augment(dataset: TextDataset, augmenter: Augmenter, copies: int = 1, seed: int = 0) -> TextDataset:
    """``dataset`` followed by up to ``copies`` variants of each text, with the same label.

    A variant equal to its source text, or to an earlier variant of it, is dropped: it would only weight
    that example twice. The same seed gives the same variants.
    """
    if copies < 1:
        raise ConfigError(f"augmentation copies must be at least 1, got {copies}")
    augmenter.fit(dataset.texts)
    variants = augmenter.generate(dataset.texts, copies, random.Random(seed))
    texts, sources = list(dataset.texts), list(range(len(dataset)))  # sources: the row each text's labels come from
    seen = [{text} for text in dataset.texts]
    for copy in variants:
        if len(copy) != len(dataset):
            raise ConfigError(f"{type(augmenter).__name__} made {len(copy)} variants for {len(dataset)} texts")
        for i, text in enumerate(copy):
            if text in seen[i]:
                continue
            seen[i].add(text)
            texts.append(text)
            sources.append(i)
    added = len(texts) - len(dataset)
    log.info("augmentation (%s, %d cop%s): added %d variants to %d training texts, now %d (%d variants equal "
             "to their text or an earlier variant dropped)",
             _name(augmenter), copies, "y" if copies == 1 else "ies", added, len(dataset), len(texts),
             copies * len(dataset) - added)
    # subset() carries whichever kind of labels the data has (one label or a label set per text).
    augmented = dataset.subset(sources, origin=f"{dataset.origin} (+{added} augmented)")
    augmented.texts, augmented.notes = texts, dict(dataset.notes)
    return augmented


@dataclass
class Augmentation:
    """The ``augment=`` setting resolved: what makes variants, and how many per text."""

    augmenter: Augmenter
    copies: int = 1

    def apply(self, dataset: TextDataset, seed: int) -> TextDataset:
        return augment(dataset, self.augmenter, self.copies, seed)

    def record(self) -> dict:
        """JSON for config.json: re-creatable for a named method, a description for a Python object."""
        settings = self.augmenter.config()
        name = _name(self.augmenter)
        if name in METHODS:
            return {"method": name, "copies": self.copies, **settings}
        cls = type(self.augmenter)
        return {"object": f"{cls.__module__}.{cls.__qualname__}", "copies": self.copies, **settings}


def resolve(spec) -> Augmentation | None:
    """``None``; a method name; an augmenter object; or ``{"method": NAME or object, "copies": N, **settings}``."""
    if spec is None:
        return None
    if isinstance(spec, str):
        spec = {"method": spec}
    if isinstance(spec, Augmenter):
        return Augmentation(spec)
    if not isinstance(spec, dict):
        raise ConfigError(f"augment takes a method name, a dict such as {{'method': 'eda', 'copies': 1}} or an "
                          f"Augmenter (textclass.augment.Augmenter subclass), not {type(spec).__name__}")
    settings = dict(spec)
    method, copies = settings.pop("method", None), settings.pop("copies", 1)
    if not isinstance(copies, int) or copies < 1:
        raise ConfigError(f"augment copies must be an integer >= 1, got {copies!r}")
    if isinstance(method, Augmenter):
        if settings:
            raise ConfigError(f"augment settings {sorted(settings)} go to the augmenter's constructor, "
                              f"not next to an augmenter object")
        return Augmentation(method, copies)
    if method in ("backtranslation", "BackTranslation"):
        raise ConfigError("back-translation needs your translate function, so it is set from Python only: "
                          "TextClassifier(augment=BackTranslation(translate))")
    if not isinstance(method, str):
        raise ConfigError(f"augment needs a 'method': one of {', '.join(METHODS.names())} or an augmenter object")
    cls = METHODS.get(method)
    unknown = sorted(set(settings) - set(constructor_defaults(cls)))
    if unknown:
        raise ConfigError(f"augment method {method!r} has no setting {', '.join(unknown)}; it accepts: copies, "
                          f"{', '.join(constructor_defaults(cls))}")
    return Augmentation(cls(**settings), copies)


def _name(augmenter) -> str:
    cls = type(augmenter)
    return next((name for name in METHODS.names() if METHODS.get(name) is cls), cls.__name__)
