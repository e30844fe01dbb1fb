"""textclass: labeled text in, production text classifier out."""
from .classifier import TextClassifier
from .data import TextDataset
from .errors import ArtifactError, ConfigError, DataError, TextclassError

__version__ = "0.1.0"
__all__ = ["ArtifactError", "ConfigError", "DataError", "TextClassifier", "TextDataset", "TextclassError",
           "__version__"]
