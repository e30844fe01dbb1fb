"""Training data that stays in its file: read chunk by chunk, as often as training needs to pass over it.

A ``TextStream`` names a file and how to read it (the same formats, checks and messages as ``read_file``); every
``chunks()`` call reads it again from the start, so no more than one chunk of texts is ever held. Giving one to
``TextClassifier.fit`` trains with memory that follows the model and the batch, not the number of texts
(``textclass.text.ondisk``). ``StreamScan`` is the first pass: it keeps per row only what is a few bytes (the
label and the text's length), which the hold-out split and the data-shape defaults read.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import DataError
from .dataset import TextDataset
from .files import read_file, read_chunks
from .shape import DataShape

log = logging.getLogger("textclass.data")

DEFAULT_CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class TextStream:
    """A labeled text file read lazily; the arguments are ``read_file``'s.

    ``chunk_size`` rows are parsed, encoded and let go at a time: it bounds the texts in memory, not what is
    learned (an epoch still sees every row, in a shuffled order).
    """

    path: str | Path
    text_column: str | None = None
    label_column: str | None = None
    format: str | None = None
    skip_empty: bool = False
    label_separator: str | None = None
    multi_label: bool | None = None
    chunk_size: int = DEFAULT_CHUNK_ROWS

    @property
    def origin(self) -> str:
        return str(self.path)

    def chunks(self, multi_label: bool | None = None) -> Iterator[TextDataset]:
        """The file's rows in order, ``chunk_size`` at a time; ``multi_label`` overrides the stream's own."""
        return read_chunks(self.path, self.chunk_size, text_column=self.text_column, label_column=self.label_column,
                           format=self.format, skip_empty=self.skip_empty, label_separator=self.label_separator,
                           multi_label=self.multi_label if multi_label is None else multi_label)

    def read(self) -> TextDataset:
        """The whole file in memory (for a validation or test file that is small enough)."""
        return read_file(self.path, text_column=self.text_column, label_column=self.label_column,
                         format=self.format, skip_empty=self.skip_empty, label_separator=self.label_separator,
                         multi_label=self.multi_label)


@dataclass
class StreamScan:
    """What one pass over a stream keeps: per row a label (or label set) index and a length in characters."""

    origin: str
    label_names: list[str]  # sorted
    lengths: np.ndarray  # int64 characters per text
    codes: np.ndarray | None  # single-label: int32 index into label_names per row
    label_sets: list[tuple[int, ...]] | None  # multi-label: indices into label_names per row
    skipped_empty: int = 0

    @property
    def rows(self) -> int:
        return len(self.lengths)

    @property
    def multi_label(self) -> bool:
        return self.label_sets is not None

    @classmethod
    def of(cls, stream: TextStream) -> "StreamScan":
        names: dict[str, int] = {}  # label -> code in order of first sight; sorted at the end
        codes: list[np.ndarray] = []
        sets: list[tuple[int, ...]] = []
        lengths: list[np.ndarray] = []
        skipped = 0
        multi = bool(stream.multi_label)
        for chunk in stream.chunks():
            skipped += chunk.notes.get("skipped_empty", 0)
            lengths.append(np.fromiter(map(len, chunk.texts), np.int64, len(chunk)))
            if chunk.is_multi_label and not multi:  # a set after single labels: the earlier rows become sets
                multi = True
                sets = [(int(code),) for part in codes for code in part]
            if multi:
                sets.extend(tuple(names.setdefault(label, len(names)) for label in labels)
                            for labels in chunk.as_label_sets())
            else:
                codes.append(np.fromiter((names.setdefault(label, len(names)) for label in chunk.labels),
                                         np.int32, len(chunk)))
        order = sorted(names)
        renumber = np.empty(len(names), dtype=np.int32)
        renumber[[names[label] for label in order]] = np.arange(len(order), dtype=np.int32)
        all_lengths = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
        if multi:
            sets = [tuple(sorted(int(renumber[code]) for code in row)) for row in sets]
            scan = cls(stream.origin, order, all_lengths, None, sets, skipped)
        else:
            all_codes = np.concatenate(codes) if codes else np.zeros(0, np.int32)
            scan = cls(stream.origin, order, all_lengths, renumber[all_codes], None, skipped)
        log.info("%s: %s rows, %d labels%s, %s characters (one pass, texts not kept)", stream.origin,
                 f"{scan.rows:,}", len(order), " (multi-label)" if multi else "", f"{int(all_lengths.sum()):,}")
        if stream.skip_empty and skipped:
            log.info("%s: skipped %d rows with empty text", stream.origin, skipped)
        return scan

    def labels_of(self, rows: np.ndarray) -> list:
        """The label names (single-label) or label-name tuples (multi-label) of ``rows``, for splitting."""
        if self.label_sets is None:
            return [self.label_names[code] for code in self.codes[rows]]
        return [tuple(self.label_names[code] for code in self.label_sets[row]) for row in rows]

    def shape(self, rows: np.ndarray) -> DataShape:
        return DataShape.from_lengths(self.lengths[rows], self.codes[rows])

    def encoded_labels(self, rows: np.ndarray, labels: list[str], multi_label: bool) -> np.ndarray:
        """The labels of ``rows`` as a classifier with ``labels`` trains on them: class indices [n], or with
        ``multi_label`` a 0/1 float matrix [n, len(labels)]; a label outside ``labels`` is a DataError."""
        index = {label: i for i, label in enumerate(labels)}
        to_ours = np.array([index.get(name, -1) for name in self.label_names], dtype=np.int64)
        if not multi_label:
            if self.multi_label:
                raise DataError("this data has label sets (multi-label) but the classifier is single-label",
                                path=self.origin, field="label")
            found = to_ours[self.codes[rows]]
            bad = np.flatnonzero(found < 0)
        else:
            sets = [self.label_sets[row] for row in rows] if self.multi_label else \
                [(int(code),) for code in self.codes[rows]]
            found = np.zeros((len(rows), len(labels)), dtype=np.float32)
            bad = []
            for i, codes in enumerate(sets):
                ours = to_ours[list(codes)]
                if (ours < 0).any():
                    bad.append(i)
                found[i, ours[ours >= 0]] = 1.0
        if len(bad):
            unseen = sorted(name for name, ours in zip(self.label_names, to_ours) if ours < 0)
            raise DataError(f"{len(bad)} rows have labels the training data never had: "
                            f"{', '.join(map(repr, unseen[:10]))} (first at example {rows[bad[0]] + 1})",
                            path=self.origin, field="label")
        return found
