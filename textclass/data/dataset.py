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

    Multi-label data (an email both ``billing`` and ``urgent``) fills ``label_sets`` instead of ``labels``:
    one tuple of distinct labels per text, sorted, possibly empty (a text none of the labels applies to).
    A dataset holds one kind or the other, never both.
    """

    texts: list[str]
    labels: list[str] | None = None
    origin: str = "<memory>"
    notes: dict = field(default_factory=dict)
    label_sets: list[tuple[str, ...]] | None = None

    def __post_init__(self):
        if self.labels is not None and len(self.labels) != len(self.texts):
            raise ValueError(f"{self.origin}: {len(self.texts)} texts but {len(self.labels)} labels")
        if self.label_sets is not None:
            if self.labels is not None:
                raise ValueError(f"{self.origin}: give labels (one per text) or label_sets (a set per text), not both")
            if len(self.label_sets) != len(self.texts):
                raise ValueError(f"{self.origin}: {len(self.texts)} texts but {len(self.label_sets)} label sets")
            self.label_sets = [tuple(sorted(set(labels))) for labels in self.label_sets]

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def is_labeled(self) -> bool:
        return self.labels is not None or self.label_sets is not None

    @property
    def is_multi_label(self) -> bool:
        return self.label_sets is not None

    def label_counts(self) -> Counter:
        """Texts per label; for multi-label data a text counts once for each of its labels."""
        if self.label_sets is not None:
            return Counter(label for labels in self.label_sets for label in labels)
        return Counter(self.labels or ())

    def label_names(self) -> list[str]:
        """Every label that occurs, sorted."""
        return sorted(self.label_counts())

    def as_label_sets(self) -> list[tuple[str, ...]] | None:
        """The labels as one set per text whichever the kind: a single label becomes a one-label set."""
        if self.label_sets is not None:
            return self.label_sets
        return None if self.labels is None else [(label,) for label in self.labels]

    def as_multi_label(self) -> "TextDataset":
        """The same texts with their labels as label sets, for training a multi-label model on them."""
        return TextDataset(self.texts, None, self.origin, dict(self.notes), label_sets=self.as_label_sets())

    def subset(self, indices: Sequence[int], origin: str | None = None) -> "TextDataset":
        return TextDataset(
            texts=[self.texts[i] for i in indices],
            labels=None if self.labels is None else [self.labels[i] for i in indices],
            origin=origin or self.origin,
            label_sets=None if self.label_sets is None else [self.label_sets[i] for i in indices],
        )

    @classmethod
    def from_pairs(cls, pairs, origin: str = "<memory>") -> "TextDataset":
        """Build from ``(text, label)`` pairs, the shape most users hold in Python.

        A label that is a list, tuple or set makes the whole dataset multi-label (a lone string label then
        counts as a one-label set).
        """
        texts, labels = [], []
        for text, label in pairs:
            texts.append(text)
            labels.append(label)
        return cls.from_lists(texts, labels, origin)

    @classmethod
    def from_lists(cls, texts, labels, origin: str = "<memory>") -> "TextDataset":
        texts, labels = list(texts), list(labels)
        if any(isinstance(label, (list, tuple, set, frozenset)) for label in labels):
            sets = [tuple(str(x) for x in label) if isinstance(label, (list, tuple, set, frozenset)) else (str(label),)
                    for label in labels]
            return cls(texts, None, origin, label_sets=sets)
        return cls(texts, [str(label) for label in labels], origin)


def check_texts(texts) -> list[str]:
    """``texts`` as a list of strings; a single string (a common slip) or a non-string is a TypeError."""
    if isinstance(texts, str):
        raise TypeError("pass a list of texts, not a single string (wrap it: [text])")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text {i} is {type(text).__name__}, not str")
    return texts
