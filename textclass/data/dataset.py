"""The one in-memory shape every data source produces: parallel lists of texts and string labels."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence


@dataclass
class TextDataset:
    """Texts with their labels, as read from one source.

    Labels are strings (``"pos"``, ``"card_arrival"``) so that the label set is the user's, not an index
    space of ours; ``labels`` is ``None`` for unlabeled text (IMDB's ``unsup`` split). ``origin`` says
    where the rows came from and is used in messages.
    """

    texts: list[str]
    labels: list[str] | None = None
    origin: str = "<memory>"
    notes: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.labels is not None and len(self.labels) != len(self.texts):
            raise ValueError(f"{self.origin}: {len(self.texts)} texts but {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def is_labeled(self) -> bool:
        return self.labels is not None

    def label_counts(self) -> Counter:
        return Counter(self.labels or ())

    def subset(self, indices: Sequence[int], origin: str | None = None) -> "TextDataset":
        return TextDataset(
            texts=[self.texts[i] for i in indices],
            labels=None if self.labels is None else [self.labels[i] for i in indices],
            origin=origin or self.origin,
        )

    @classmethod
    def from_pairs(cls, pairs, origin: str = "<memory>") -> "TextDataset":
        """Build from ``(text, label)`` pairs, the shape most users hold in Python."""
        texts, labels = [], []
        for text, label in pairs:
            texts.append(text)
            labels.append(str(label))
        return cls(texts, labels, origin)
