"""Pretrained word vectors: GloVe, word2vec and fastText files, read as a stream for a given vocabulary.

Formats, chosen by suffix (a trailing ``.gz`` is decompressed on the fly):

- text (``.txt``, ``.vec`` and anything else): ``word v1 ... vd`` per line, with or without word2vec's
  ``count dim`` header line (GloVe has none, word2vec and fastText have one);
- word2vec binary (``.bin``): the header line, then per word its UTF-8 bytes, a space and ``dim`` float32s.

Only rows for the requested words are kept, so memory is ``len(words) * dim`` whatever the file's size.
"""
from __future__ import annotations

import gzip
import logging
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import BinaryIO, Iterator, Sequence

import numpy as np

from ..errors import DataError

log = logging.getLogger("textclass.text")

_CHUNK = 1 << 20


@dataclass
class WordVectors:
    """``matrix[i]`` is the vector of ``words[i]``, or zeros where ``found[i]`` is False."""

    words: list[str]
    matrix: np.ndarray  # float32 [len(words), dim]
    found: np.ndarray  # bool [len(words)]
    path: Path

    @property
    def dim(self) -> int:
        return self.matrix.shape[1]

    @property
    def n_found(self) -> int:
        return int(self.found.sum())

    @property
    def coverage(self) -> float:
        return self.n_found / len(self.words) if self.words else 0.0


def load_vectors(path, words: Sequence[str]) -> WordVectors:
    """Vectors of ``words`` from the file at ``path``.

    A word missing from the file may be matched by a lowercased file entry ("Paris" for "paris": cased
    fastText and word2vec files meet a lowercasing tokenizer), but an exact entry always wins.
    Values are parsed only in the rows that are kept; every row's value count is checked.
    """
    path = Path(path)
    index = {word: i for i, word in enumerate(words)}
    rows = _binary_rows(path) if is_binary_format(path) else _text_rows(path)
    dim = next(rows)
    matrix = np.zeros((len(words), dim), dtype=np.float32)
    found = np.zeros(len(words), dtype=bool)
    exact = np.zeros(len(words), dtype=bool)
    for word, values, line in rows:
        i = index.get(word)
        if i is None:
            i = index.get(word.lower())
            if i is None or found[i]:
                continue
        elif exact[i]:
            continue
        else:
            exact[i] = True
        matrix[i] = _parse(values, path, line)
        found[i] = True
    return WordVectors(list(words), matrix, found, path)


def vectors_dim(path) -> int:
    """The dimension of a vectors file, from its header or its first row, without reading the rest."""
    path = Path(path)
    rows = _binary_rows(path) if is_binary_format(path) else _text_rows(path)
    try:
        return next(rows)
    finally:
        rows.close()


def is_binary_format(path: Path) -> bool:
    """word2vec binary for ``.bin`` and ``.bin.gz``; every other name is read and written as text."""
    suffixes = [s.lower() for s in path.suffixes]
    return suffixes[-1:] == [".bin"] or suffixes[-2:] == [".bin", ".gz"]


def _open(path: Path) -> BinaryIO:
    if not path.is_file():
        raise DataError("no such vectors file", path=path)
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")


def _parse(values, path: Path, line: int) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    try:
        return np.asarray(values, dtype=np.float32)
    except ValueError:
        bad = next(v for v in values if not _is_float(v))
        raise DataError(f"line {line}: {bad!r} is not a number", path=path) from None


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _header(parts: list[str]) -> tuple[int, int] | None:
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return int(parts[0]), int(parts[1])
    return None


def _first_row_dim(parts: list[str]) -> int:
    """Values are the trailing numbers, so a first word with a space in it does not skew the dimension."""
    numbers = 0
    while numbers < len(parts) - 1 and _is_float(parts[-1 - numbers]):
        numbers += 1
    return numbers


def _text_rows(path: Path) -> Iterator:
    """Yields the dimension, then ``(word, value strings, line number)`` per row."""
    with _open(path) as raw:
        # Invalid UTF-8 occurs in some published files; such words can never match a vocabulary entry anyway.
        lines = (b.decode("utf-8", errors="replace") for b in raw)
        first = next(lines, "")
        header = _header(first.split())
        if header is None and not first.strip():
            raise DataError("line 1: empty; expected `count dim` or a first vector", path=path)
        dim = header[1] if header else _first_row_dim(first.split())
        if dim < 1:
            raise DataError(f"line 1: {first.strip()[:80]!r} does not end in numbers (a vector)", path=path)
        yield dim
        count = 0
        pending = [] if header else [(1, first)]
        for number, line in chain(pending, enumerate(lines, 2)):
            # Split from the right: GloVe 840B has words with spaces in them ("at name@domain.com").
            parts = line.rstrip().rsplit(None, dim)
            if not parts:
                continue  # a blank line, usually the last
            if len(parts) != dim + 1:
                raise DataError(f"line {number}: {len(parts) - 1} values, expected {dim}", path=path)
            count += 1
            yield parts[0], parts[1:], number
        _check_count(header, count, path)


def _binary_rows(path: Path) -> Iterator:
    """word2vec's binary layout, read in chunks: per entry, ``word`` bytes, a space, ``dim`` float32s."""
    with _open(path) as f:
        header = _header(f.readline().decode("utf-8", errors="replace").split())
        if header is None:
            raise DataError("line 1: expected the word2vec binary header `count dim`", path=path)
        declared, dim = header
        yield dim
        width = 4 * dim
        buf, pos = b"", 0
        for entry in range(1, declared + 1):
            while True:
                space = buf.find(b" ", pos)
                if space >= 0 and len(buf) >= space + 1 + width:
                    break
                more = f.read(_CHUNK)
                if not more:
                    if not buf[pos:].strip():
                        _check_count(header, entry - 1, path)
                        return
                    raise DataError(f"entry {entry}: the file ends inside it (truncated?)", path=path)
                buf, pos = buf[pos:] + more, 0
            # Writers differ on a newline after each vector; it is not part of the next word.
            word = buf[pos:space].lstrip(b"\n").decode("utf-8", errors="replace")
            values = np.frombuffer(buf, dtype="<f4", count=dim, offset=space + 1)
            pos = space + 1 + width
            yield word, values, entry


def _check_count(header: tuple[int, int] | None, count: int, path: Path) -> None:
    if header is not None and count != header[0]:
        log.warning("%s: the header announces %d vectors but the file holds %d (truncated or edited?)",
                    path, header[0], count)
