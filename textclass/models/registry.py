"""The model registry: versioned name -> ``nn.Module`` class.

A registered class declares ``input_format`` (what batching must give it), ``encoder`` (the encoder
config it is trained with by default) and takes ``num_classes`` plus whatever ``encoder.model_args()``
provides; every other keyword of its constructor is a user-settable hyperparameter.
"""
from __future__ import annotations

from ..registry import Registry, constructor_defaults

MODELS: Registry = Registry("model")

# Filled in from the data and the encoder, never by the user.
DATA_ARGS = ("num_classes", "vocab_size", "padding_idx")


def register_model(name: str, *, aliases: tuple[str, ...] = ()):
    def add(cls):
        cls.registry_name = name
        return MODELS.register(name, aliases=aliases)(cls)

    return add


def model_hyperparameters(name: str) -> dict:
    return constructor_defaults(MODELS.get(name), exclude=DATA_ARGS)
