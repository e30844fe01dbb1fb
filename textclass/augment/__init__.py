"""Training-data augmentation: EDA word edits and back-translation, applied to the training split only."""
from .backtranslation import BackTranslation
from .core import METHODS, Augmentation, Augmenter, augment, resolve
from .eda import EDA, OPERATIONS

__all__ = ["METHODS", "OPERATIONS", "Augmentation", "Augmenter", "BackTranslation", "EDA", "augment", "resolve"]
