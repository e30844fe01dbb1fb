"""Text -> tokens -> ids: tokenizers, vocabulary, encoders."""
from . import hf_encoder  # noqa: F401  (registers hf_v1; transformers itself is imported only when used)
from . import ngram_encoder  # noqa: F401  (registers ngram_v1)
from .encoders import ENCODERS, VocabEncoder, build_encoder, load_encoder
from .tokenizers import TOKENIZERS, default_tokenize, simple_tokenize
from .vocabulary import Vocabulary

__all__ = ["ENCODERS", "TOKENIZERS", "VocabEncoder", "Vocabulary", "build_encoder", "default_tokenize",
           "load_encoder", "simple_tokenize"]
