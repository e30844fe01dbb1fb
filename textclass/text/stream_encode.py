"""Fitting an encoder on a ``TextStream`` and encoding it onto disk: the two passes over a file too large to hold.

The first pass hands the encoder the training rows' texts chunk by chunk (``StreamingEncoder.fit_stream``); the
second encodes every row into the training or the held-out split's file (``ondisk.RaggedWriter``). Which rows
are held out was settled before, from the labels alone (``StreamScan``), so both passes agree row for row.
"""
from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from ..data.stream import StreamScan, TextStream
from ..errors import DataError
from .base import StreamingEncoder
from .ondisk import RaggedWriter
from .ragged import RaggedIds

log = logging.getLogger("textclass.text")


@contextlib.contextmanager
def ids_folder(parent: str | Path | None) -> Iterator[Path]:
    """A fresh folder for encoded ids under ``parent`` (default: the system's temporary folder), removed after.

    Only what is created here is removed: ``parent`` itself, and anything else in it, is the user's.
    """
    if parent is not None:
        Path(parent).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="textclass-ids-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _rows_of(stream: TextStream, scan: StreamScan) -> Iterator[tuple[int, list[str]]]:
    """(index of the chunk's first row, its texts) for each chunk; a file that changed since the scan is an error."""
    position = 0
    for chunk in stream.chunks(multi_label=scan.multi_label):
        if position + len(chunk) > scan.rows:
            break
        yield position, chunk.texts
        position += len(chunk)
    if position != scan.rows:
        raise DataError(f"the file changed while training read it ({scan.rows:,} rows at first, now a different "
                        "number); train on a file nothing else is writing to", path=stream.origin)


def training_texts(stream: TextStream, scan: StreamScan, heldout: np.ndarray) -> Iterator[list[str]]:
    """The texts of the rows not held out, chunk by chunk, in file order."""
    for start, texts in _rows_of(stream, scan):
        keep = ~heldout[start:start + len(texts)]
        yield [text for text, kept in zip(texts, keep) if kept]


def encode_to_disk(encoder: StreamingEncoder, stream: TextStream, scan: StreamScan, heldout: np.ndarray,
                   folder: Path, split_held_out: bool, name: str = "train") -> tuple[RaggedIds, RaggedIds | None]:
    """Every row's ids in ``folder``: rows not held out in ``<name>.ids``, held-out rows (with ``split_held_out``)
    in ``valid.ids``.

    The encoder's per-call log lines would come once per chunk; one summary per split is logged instead.
    """
    train_writer = RaggedWriter(folder / f"{name}.ids")
    valid_writer = RaggedWriter(folder / "valid.ids") if split_held_out else None
    text_log = logging.getLogger("textclass.text")
    level = text_log.level
    text_log.setLevel(logging.WARNING)
    try:
        for start, texts in _rows_of(stream, scan):
            held = heldout[start:start + len(texts)]
            train_writer.append(encoder.encode([t for t, h in zip(texts, held) if not h], name=name))
            if valid_writer is not None:
                valid_writer.append(encoder.encode([t for t, h in zip(texts, held) if h], name="valid"))
    finally:
        text_log.setLevel(level)
        train_writer.close()
        if valid_writer is not None:
            valid_writer.close()
    train = train_writer.finish()
    valid = None if valid_writer is None else valid_writer.finish()
    for split, ids in ((name, train), ("valid", valid)):
        if ids is not None and len(ids):
            empty = int((ids.lengths == 0).sum())
            log.info("%s: %s texts encoded, %.0f ids per text, %d texts with none", split, f"{len(ids):,}",
                     len(ids.values) / len(ids), empty)
    return train, valid
