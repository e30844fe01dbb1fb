"""Prediction over a file or a pipe in constant memory: read a chunk of rows, predict it, write it, repeat.

Every input field passes through unchanged and the prediction's fields (``rows.RowSpec``) follow. A file
output appears only once complete (``textclass.io.atomic_open``): a bad row anywhere leaves no output file.
On stdout, rows before a bad one have already been written; the error still names the row.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator

from tqdm.auto import tqdm

from ..errors import ConfigError, DataError
from ..io import atomic_open
from .formats import (INPUT_FORMATS, OUTPUT_FORMATS, CountingLines, Row, RowReader, format_from_suffix, open_reader,
                      open_writer)
from .rows import RowSpec, thresholds_of

log = logging.getLogger("textclass.inference")

STDIO = "-"
DEFAULT_TEXT_COLUMN = "text"
# A chunk (read, predicted and written at once) ends at whichever comes first, so memory is bounded by one
# chunk, not by the file, with short texts and with whole documents alike.
CHUNK_ROWS = 2048
CHUNK_CHARS = 4_000_000


@dataclass
class StreamSummary:
    rows: int
    empty: int  # rows whose text is empty or whitespace only (flagged in the output's ``empty`` field)
    text_column: str
    output_format: str


def resolve_formats(input: str, output: str, input_format: str | None = None,
                    output_format: str | None = None) -> tuple[str, str]:
    """Formats from the arguments, else the suffixes; stdin is plain lines, stdout mirrors a tabular or JSON
    input (JSON Lines when the input is plain lines)."""
    if input_format is None:
        input_format = "lines" if input == STDIO else format_from_suffix(Path(input), INPUT_FORMATS, "input_format")
    elif input_format not in INPUT_FORMATS:
        raise ConfigError(f"unknown input_format {input_format!r}; choose one of: {', '.join(INPUT_FORMATS)}")
    if output_format is None:
        if output == STDIO:
            output_format = "jsonl" if input_format == "lines" else input_format
        else:
            output_format = format_from_suffix(Path(output), OUTPUT_FORMATS, "output_format")
    elif output_format not in OUTPUT_FORMATS:
        raise ConfigError(f"unknown output_format {output_format!r}; choose one of: {', '.join(OUTPUT_FORMATS)}")
    return input_format, output_format


def choose_text_column(available: list[str], text_column: str | None, trained_on: str | None, source: str,
                       row: int | None = None) -> str:
    """``text_column`` if given; else the column the run was trained on, when the input has it; else ``text``."""
    if text_column is None:
        if trained_on is not None and trained_on in available:
            return trained_on
        text_column = DEFAULT_TEXT_COLUMN
    if text_column not in available:
        names = ", ".join(map(repr, available)) or "none"
        hint = f" (the run was trained on column {trained_on!r})" if trained_on and trained_on != text_column else ""
        raise DataError(f"no column {text_column!r}{hint}; the columns are: {names}; choose one with text_column=",
                        path=source, row=row, field=text_column)
    return text_column


def predict_stream(classifier, reader: RowReader, sink: IO[str], *, output_format: str, spec: RowSpec,
                   text_column: str | None = None, chunk_rows: int = CHUNK_ROWS, chunk_chars: int = CHUNK_CHARS,
                   batch_size: int | None = None, device: str | None = None, progress: bool = False,
                   total_bytes: int | None = None) -> StreamSummary:
    """Predict every row of ``reader`` and write it to ``sink`` in ``output_format``, one chunk at a time."""
    trained_on = (classifier.data_columns or {}).get("text_column")
    rows = iter(reader)
    first = next(rows, None)
    if reader.columns is not None:
        column = choose_text_column(reader.columns, text_column, trained_on, reader.name)
    elif first is not None:
        column = choose_text_column(list(first.fields), text_column, trained_on, reader.name, first.number)
    else:  # an empty JSON Lines input: nothing to choose from, nothing to predict
        column = text_column or trained_on or DEFAULT_TEXT_COLUMN
    writer = open_writer(sink, output_format, source=reader.name, input_columns=reader.columns,
                         label_field=spec.label_field)
    predicted = spec.fields
    summary = StreamSummary(0, 0, column, output_format)
    bar = tqdm(total=total_bytes, unit="B", unit_scale=True, disable=not progress, desc="predict")
    with bar, _quiet("textclass.text"):
        with_texts = ((row, _text_of(row, column, reader.name, predicted))
                      for row in (rows if first is None else _prepend(first, rows)))
        for chunk, texts in _chunks(with_texts, chunk_rows, chunk_chars):
            proba = classifier.predict_proba(texts, batch_size=batch_size, device=device)
            predictions = spec.rows(texts, proba)
            merged = [Row(row.number, {**row.fields, **prediction}) for row, prediction in zip(chunk, predictions)]
            writer.write(merged, predicted)
            writer.flush()
            summary.rows += len(chunk)
            summary.empty += sum(not text.strip() for text in texts)
            bar.update(reader.lines.bytes_read - bar.n)
            bar.set_postfix(rows=summary.rows, refresh=False)
        if summary.rows == 0:
            writer.write([], predicted)  # a tabular output still gets its header
            writer.flush()
    if summary.empty:
        log.warning("%s: %d of %d rows have an empty text; their labels mean nothing (flagged in the %r field)",
                    reader.name, summary.empty, summary.rows, spec.prefix + "empty")
    return summary


def predict_file(classifier, input: str | os.PathLike, output: str | os.PathLike = STDIO, *,
                 input_format: str | None = None, output_format: str | None = None, text_column: str | None = None,
                 top_k: int = 0, probabilities: bool = False, digits: int | None = 4, prefix: str = "",
                 overwrite: bool = False, chunk_rows: int = CHUNK_ROWS, chunk_chars: int = CHUNK_CHARS,
                 batch_size: int | None = None,
                 device: str | None = None, progress: bool = False) -> StreamSummary:
    """Predict every row of ``input`` (a path, or ``"-"`` for stdin) into ``output`` (a path, or ``"-"``).

    An existing ``output`` is replaced only with ``overwrite=True`` (even then, atomically, after the last row).
    """
    input, output = str(input), str(output)
    input_format, output_format = resolve_formats(input, output, input_format, output_format)
    spec = RowSpec(tuple(classifier.labels_), top_k, probabilities, digits, prefix, thresholds_of(classifier))
    if output_format == "lines" and (top_k or probabilities):
        raise ConfigError("the lines output format holds only the label; for top_k or probabilities write "
                          "csv, tsv or jsonl")
    if output != STDIO and Path(output).exists() and not overwrite:
        raise ConfigError(f"{output} already exists; pass overwrite=True to replace it")
    with _binary_input(input) as (stream, total_bytes):
        reader = open_reader(CountingLines(stream, "<stdin>" if input == STDIO else input), input_format)
        _check_collisions(reader, spec)
        arguments = dict(output_format=output_format, spec=spec, text_column=text_column, chunk_rows=chunk_rows,
                         chunk_chars=chunk_chars, batch_size=batch_size, device=device, progress=progress,
                         total_bytes=total_bytes)
        if output == STDIO:
            return predict_stream(classifier, reader, sys.stdout, **arguments)
        with atomic_open(output, newline="") as sink:
            return predict_stream(classifier, reader, sink, **arguments)


@contextlib.contextmanager
def _binary_input(input: str):
    if input == STDIO:
        yield sys.stdin.buffer, None
        return
    path = Path(input)
    if not path.exists():
        raise DataError("no such file", path=path)
    if path.is_dir():
        raise DataError("is a folder; give a file", path=path)
    with open(path, "rb") as stream:
        yield stream, path.stat().st_size or None


def _check_collisions(reader: RowReader, spec: RowSpec) -> None:
    if reader.columns is None:
        return  # JSON Lines: checked row by row in _text_of
    _refuse_collision(reader.columns, spec.fields, reader.name, None)


def _refuse_collision(columns, predicted: list[str], source: str, row: int | None) -> None:
    clash = [name for name in predicted if name in columns]
    if clash:
        raise DataError(f"the input already has {', '.join(map(repr, clash))}, which the predictions would "
                        "overwrite; put a prefix on the prediction's names (prefix='pred_')",
                        path=source, row=row, field=clash[0])


def _text_of(row: Row, column: str, source: str, predicted: list[str]) -> str:
    try:
        text = row.fields[column]
    except KeyError:
        names = ", ".join(map(repr, row.fields)) or "none"
        raise DataError(f"no key {column!r}; this row's keys are: {names}", path=source, row=row.number,
                        field=column) from None
    if not isinstance(text, str):
        raise DataError(f"text must be a string, got {type(text).__name__}", path=source, row=row.number,
                        field=column)
    if not row.fields.keys().isdisjoint(predicted):
        _refuse_collision(row.fields, predicted, source, row.number)
    return text


def _prepend(first: Row, rest: Iterator[Row]) -> Iterator[Row]:
    yield first
    yield from rest


def _chunks(rows: Iterator[tuple[Row, str]], max_rows: int, max_chars: int) -> Iterator[tuple[list[Row], list[str]]]:
    chunk, texts, chars = [], [], 0
    for row, text in rows:
        chunk.append(row)
        texts.append(text)
        chars += len(text)
        if len(chunk) >= max_rows or chars >= max_chars:
            yield chunk, texts
            chunk, texts, chars = [], [], 0
    if chunk:
        yield chunk, texts


@contextlib.contextmanager
def _quiet(logger_name: str):
    """The encoders log statistics per call; per chunk, that would be one line per few thousand rows."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
