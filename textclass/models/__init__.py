"""Model families. Importing this package registers every built-in model."""
from . import bilstm, bilstm_attn, cnn, transformer  # noqa: F401  (registration side effect)
from . import ngram  # noqa: F401
from .base import TextModel, TokenAttention
from .registry import DEFAULT_MODEL, MODELS, model_hyperparameters, register_model

__all__ = ["DEFAULT_MODEL", "MODELS", "TextModel", "TokenAttention", "model_hyperparameters", "register_model"]
