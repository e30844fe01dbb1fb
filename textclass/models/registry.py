"""The model registry: versioned name -> ``TextModel`` class (the contract is in ``base.py``).

A family's constructor takes ``num_classes``, whatever its encoder's ``model_args()`` provides and, at load,
its ``run_args()``; every other keyword of its constructor is a user-settable hyperparameter.
"""
from __future__ import annotations

from ..registry import Registry, constructor_defaults
from .base import TextModel

MODELS: Registry = Registry("model", base=TextModel)
DEFAULT_MODEL = "ngram"

# Filled in from the data, the encoder or the run's files, never by the user.
DATA_ARGS = ("num_classes", "vocab_size", "padding_idx", "architecture")


def register_model(name: str, *, aliases: tuple[str, ...] = ()):
    return MODELS.register(name, aliases=aliases)


def model_hyperparameters(name: str) -> dict:
    return constructor_defaults(MODELS.get(name), exclude=DATA_ARGS)
