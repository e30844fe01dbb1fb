"""Model families. Importing this package registers every built-in model."""
from . import bilstm, bilstm_attn, cnn, transformer  # noqa: F401  (registration side effect)
from . import ngram  # noqa: F401
from .registry import MODELS, model_hyperparameters, register_model

__all__ = ["MODELS", "model_hyperparameters", "register_model"]
