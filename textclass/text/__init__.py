"""Text -> tokens -> ids: tokenizers, vocabulary, encoders."""
from .encoders import ENCODERS, VocabEncoder, build_encoder, load_encoder
from .tokenizers import TOKENIZERS, default_tokenize, simple_tokenize
from .vocabulary import Vocabulary

__all__ = ["ENCODERS", "TOKENIZERS", "VocabEncoder", "Vocabulary", "build_encoder", "default_tokenize",
           "load_encoder", "simple_tokenize"]
