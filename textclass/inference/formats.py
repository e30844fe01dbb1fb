"""Row readers and writers for streamed prediction: one row at a time in, one chunk at a time out.

A reader yields ``Row``s (the 1-based row number a user would look for, and the row's fields, unchanged);
a writer takes rows already joined with their predictions. Neither ever holds more than it is handed, so
memory does not grow with the file.
"""
from __future__ import annotations

import csv
import json
import logging
from abc import ABC, abstractmethod
from pathlib import Path
from typing import IO, BinaryIO, Iterator, NamedTuple

from ..errors import ConfigError, DataError

log = logging.getLogger("textclass.inference")

INPUT_FORMATS = ("csv", "tsv", "jsonl", "lines")
OUTPUT_FORMATS = ("csv", "tsv", "jsonl", "lines")
_FORMAT_BY_SUFFIX = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".txt": "lines"}
# The csv module refuses fields over 128 KiB by default; whole documents are legitimate texts.
_CSV_FIELD_LIMIT = 2**31 - 1


def format_from_suffix(path: Path, formats: tuple[str, ...], parameter: str) -> str:
    fmt = _FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt not in formats:
        known = ", ".join(suffix for suffix, f in _FORMAT_BY_SUFFIX.items() if f in formats)
        raise ConfigError(f"{path}: cannot tell the format from the suffix (known: {known}); pass {parameter}=")
    return fmt


class Row(NamedTuple):
    number: int  # as the user finds it: CSV record (header = 1), JSON/plain line
    fields: dict


class CountingLines:
    """The lines of a binary stream, decoded one by one so a bad byte is reported by line; counts bytes read."""

    def __init__(self, stream: BinaryIO, name: str):
        self.stream, self.name, self.bytes_read, self.line_number = stream, name, 0, 0

    def __iter__(self) -> Iterator[str]:
        for raw in self.stream:
            self.line_number += 1
            self.bytes_read += len(raw)
            try:
                yield raw.decode("utf-8-sig" if self.line_number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                raise DataError(f"line {self.line_number} is not valid UTF-8 (byte {raw[err.start]:#04x} at byte "
                                f"{err.start + 1} of the line); save the file as UTF-8", path=self.name) from None


class RowReader(ABC):
    """``columns`` is known before the first row for tabular formats; ``None`` where each row names its own."""

    columns: list[str] | None = None

    def __init__(self, lines: CountingLines):
        self.lines, self.name = lines, lines.name

    @abstractmethod
    def __iter__(self) -> Iterator[Row]: ...


class DelimitedReader(RowReader):
    def __init__(self, lines: CountingLines, delimiter: str):
        super().__init__(lines)
        csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
        self.delimiter = delimiter
        self._reader = csv.reader(iter(lines), delimiter=delimiter, strict=True)
        self._record = 0
        header = self._next_record()
        if header is None:
            raise DataError("no header row (the file is empty)", path=self.name)
        self.columns = [name.strip() for name in header]
        duplicates = sorted({name for name in self.columns if self.columns.count(name) > 1})
        if duplicates:
            raise DataError(f"the header names {', '.join(map(repr, duplicates))} more than once; each column "
                            "needs its own name", path=self.name, row=1)

    def _next_record(self) -> list[str] | None:
        while True:
            self._record += 1
            start_line = self._reader.line_num + 1
            try:
                fields = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as err:
                raise DataError(f"malformed record{self._hint(start_line)}: {err}", path=self.name,
                                row=self._record) from None
            if fields:
                self._start_line = start_line
                return fields
            self._record -= 1  # a blank line is not a record

    def _hint(self, start_line: int) -> str:
        return "" if start_line == self._record else f" (record starts on line {start_line})"

    def __iter__(self) -> Iterator[Row]:
        width = len(self.columns)
        while (fields := self._next_record()) is not None:
            if len(fields) != width:
                raise DataError(f"{len(fields)} fields but the header has {width}{self._hint(self._start_line)}; "
                                f"is a field containing {self.delimiter!r} missing its quotes?",
                                path=self.name, row=self._record)
            yield Row(self._record, dict(zip(self.columns, fields)))


class JsonlReader(RowReader):
    def __iter__(self) -> Iterator[Row]:
        for line in self.lines:
            if not line.strip():
                continue
            number = self.lines.line_number
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataError(f"not valid JSON: {err.msg} at column {err.colno}", path=self.name,
                                row=number) from None
            if not isinstance(obj, dict):
                raise DataError(f"expected a JSON object, got {type(obj).__name__}", path=self.name, row=number)
            yield Row(number, obj)


class LinesReader(RowReader):
    """One text per line, every line a row (an empty line is an empty text), so output line N answers input line N."""

    columns = ["text"]

    def __iter__(self) -> Iterator[Row]:
        for line in self.lines:
            text = line.rstrip("\r\n")
            if self.lines.line_number == 1 and text.startswith("__label__"):
                log.warning("%s: the first line starts with __label__; plain lines are read whole, label "
                            "included (for a labeled file, use CSV, TSV or JSON Lines)", self.name)
            yield Row(self.lines.line_number, {"text": text})


def open_reader(lines: CountingLines, fmt: str) -> RowReader:
    if fmt == "csv":
        return DelimitedReader(lines, ",")
    if fmt == "tsv":
        return DelimitedReader(lines, "\t")
    if fmt == "jsonl":
        return JsonlReader(lines)
    if fmt == "lines":
        return LinesReader(lines)
    raise ConfigError(f"unknown input format {fmt!r}; choose one of: {', '.join(INPUT_FORMATS)}")


# ------------------------------------------------------------------------------------------------ writers


class RowWriter(ABC):
    """``source`` names the input in errors about its rows."""

    def __init__(self, stream: IO[str], source: str):
        self.stream, self.source = stream, source

    @abstractmethod
    def write(self, rows: list[Row], predicted_fields: list[str]) -> None:
        """``rows`` carry their input fields followed by ``predicted_fields`` (the same names in every row)."""

    def flush(self) -> None:
        self.stream.flush()


class DelimitedWriter(RowWriter):
    """Header from the input's columns (or, for JSON input, the first row's keys) plus the prediction's."""

    def __init__(self, stream: IO[str], source: str, delimiter: str, input_columns: list[str] | None):
        super().__init__(stream, source)
        self._writer = csv.writer(stream, delimiter=delimiter, lineterminator="\n")
        self.input_columns = input_columns
        self._header: list[str] | None = None

    def write(self, rows: list[Row], predicted_fields: list[str]) -> None:
        if self._header is None:
            if self.input_columns is None:  # JSON Lines in: the first row decides the columns
                self.input_columns = [key for key in rows[0].fields if key not in predicted_fields] if rows else []
            self._header = self.input_columns + predicted_fields
            self._writer.writerow(self._header)
            self._known = set(self._header)
        for row in rows:
            if len(row.fields) != len(self._header) or not self._known.issuperset(row.fields):
                extra = [key for key in row.fields if key not in self._known]
                missing = [key for key in self._header if key not in row.fields]
                raise DataError(f"its keys differ from the first row's ({_keys_differ(extra, missing)}); tabular "
                                "output needs the same keys in every row (write JSON Lines instead)",
                                path=self.source, row=row.number)
            self._writer.writerow([_cell(row.fields[column]) for column in self._header])


def _keys_differ(extra: list[str], missing: list[str]) -> str:
    parts = []
    if extra:
        parts.append("extra " + ", ".join(map(repr, extra)))
    if missing:
        parts.append("missing " + ", ".join(map(repr, missing)))
    return "; ".join(parts)


def _line(label) -> str:
    """A label, or a multi-label run's label set joined with '|' (what ``--label-separator '|'`` reads back)."""
    return "|".join(label) if isinstance(label, list) else str(label)


def _cell(value) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


class JsonlWriter(RowWriter):
    def write(self, rows: list[Row], predicted_fields: list[str]) -> None:
        self.stream.write("".join(json.dumps(row.fields, ensure_ascii=False) + "\n" for row in rows))


class LinesWriter(RowWriter):
    """The predicted label only, one per line: line N answers input row N."""

    def __init__(self, stream: IO[str], source: str, label_field: str):
        super().__init__(stream, source)
        self.label_field = label_field

    def write(self, rows: list[Row], predicted_fields: list[str]) -> None:
        self.stream.write("".join(f"{_line(row.fields[self.label_field])}\n" for row in rows))


def open_writer(stream: IO[str], fmt: str, *, source: str, input_columns: list[str] | None,
                label_field: str) -> RowWriter:
    if fmt == "csv":
        return DelimitedWriter(stream, source, ",", input_columns)
    if fmt == "tsv":
        return DelimitedWriter(stream, source, "\t", input_columns)
    if fmt == "jsonl":
        return JsonlWriter(stream, source)
    if fmt == "lines":
        return LinesWriter(stream, source, label_field)
    raise ConfigError(f"unknown output format {fmt!r}; choose one of: {', '.join(OUTPUT_FORMATS)}")
