"""textclass: labeled text in, production text classifier out.

``TextClassifier`` and ``TextDataset`` are imported on first use (PEP 562), so that the torch-free parts
(``textclass.runtime``, the encoders in ``textclass.text``) can be imported without loading PyTorch.
"""
from .errors import ArtifactError, ConfigError, DataError, TextclassError

__version__ = "0.1.0"
__all__ = ["ArtifactError", "ConfigError", "DataError", "TextClassifier", "TextDataset", "TextclassError",
           "__version__"]


def __getattr__(name: str):
    if name == "TextClassifier":
        from .classifier import TextClassifier

        return TextClassifier
    if name == "TextDataset":
        from .data import TextDataset

        return TextDataset
    raise AttributeError(f"module 'textclass' has no attribute {name!r}")
