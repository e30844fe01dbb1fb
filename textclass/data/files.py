"""Read a user's text file (CSV, TSV, JSON Lines, fastText format) or folder-per-class tree into a TextDataset.

Every reader yields one record at a time and a single collector validates them, so each format gets the
same rules (empty text, missing label) and the same error wording.

Where errors point, so that the user can find the spot:

- CSV/TSV: ``row`` is the spreadsheet row. The header is row 1 and the first record row 2; a quoted field
  spanning several lines is still one row, and a blank line counts as a row, as a spreadsheet shows it.
  When the record starts on another line of the file (after multi-line fields), the message adds that line.
- JSON Lines and fastText format: ``row`` is the 1-based line number.
- Folder tree: ``path`` is the offending file; there is no row.
- Bytes that are not UTF-8: the message gives the 1-based line number of the file in every line-based format.

Multi-label data (a set of labels per text) is recognised, or asked for with ``multi_label=True``:

- JSON Lines: the label key holds a list (``"labels": ["joy", "love"]``; ``[]`` is a text with no label);
- CSV/TSV (and JSON Lines strings): ``label_separator="|"`` splits each label cell (``billing|urgent``);
- fastText format: several ``__label__`` prefixes on one line.

One row with a set makes the whole file multi-label, and its single labels become one-label sets.
"""
from __future__ import annotations

import csv
import json
import logging
import re
from pathlib import Path
from typing import Iterable, Iterator, NamedTuple

from textclass.data.dataset import TextDataset
from textclass.errors import ConfigError, DataError

log = logging.getLogger("textclass.data")

FORMATS = ("csv", "tsv", "jsonl", "fasttext", "folder")
_FORMAT_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "fasttext",
    ".ft": "fasttext",
}
DEFAULT_TEXT = "text"
DEFAULT_LABEL = "label"
DEFAULT_LABELS = "labels"  # the key multi-label JSON Lines files (GoEmotions) use
# The csv module refuses fields over 128 KiB by default; whole documents (books, long reports) are legitimate.
_CSV_FIELD_LIMIT = 2**31 - 1
_FASTTEXT_LABEL = re.compile(r"\s*__label__(\S*)")


class _Record(NamedTuple):
    text: str
    label: str | tuple[str, ...] | None  # None: this row has no label; a tuple: a set of labels
    path: Path
    row: int | None
    text_field: str | None
    label_field: str | None
    hint: str = ""  # extra location detail appended to messages


def read_file(
    path: str | Path,
    text_column: str | None = None,
    label_column: str | None = None,
    format: str | None = None,
    skip_empty: bool = False,
    require_labels: bool = True,
    allow_empty: bool = False,
    label_separator: str | None = None,
    multi_label: bool | None = None,
) -> TextDataset:
    """Read labeled (or, with ``require_labels=False``, possibly unlabeled) texts from ``path``.

    ``format`` is one of ``FORMATS``; by default it follows the suffix (``.txt``/``.ft`` mean fastText's
    ``__label__x text`` lines) and a directory is read as ``path/<label>/*.txt``. Columns (CSV/TSV) and keys
    (JSON Lines) default to ``text`` and ``label``; when labels are required, ``label`` is absent and there
    is exactly one other column, that column holds the labels (BANKING77's ``text,category``).
    Labels are stripped strings; texts are returned unchanged. Blank texts raise DataError unless
    ``skip_empty``, which drops them and records how many in ``notes["skipped_empty"]``, or ``allow_empty``,
    which keeps them (prediction input: an empty text still gets an answer). Without ``require_labels`` a
    partly filled label column is ignored rather than an error.

    ``label_separator`` splits every label cell into a set of labels (CSV/TSV, and strings in JSON Lines);
    giving it makes the data multi-label. ``multi_label`` left at ``None`` follows the data (a list label or
    several ``__label__`` prefixes make it multi-label, see the module notes); ``True`` reads single labels
    as one-label sets; ``False`` makes a label set an error.
    """
    records, path, multi_label = _records(path, text_column, label_column, format, require_labels, label_separator,
                                          multi_label)
    return _collect(records, path, skip_empty, require_labels, allow_empty, multi_label)


def read_chunks(path: str | Path, chunk_size: int, text_column: str | None = None, label_column: str | None = None,
                format: str | None = None, skip_empty: bool = False, label_separator: str | None = None,
                multi_label: bool | None = None) -> Iterator[TextDataset]:
    """The labeled texts of ``path`` as consecutive TextDatasets of at most ``chunk_size`` rows, read lazily.

    The same formats, checks and messages as ``read_file``, without holding the file: memory follows the chunk
    size. A chunk is multi-label if the file is (``multi_label=True``) or if it holds a label set itself, so a
    reader that needs one kind for the whole file passes ``multi_label`` after a first look (``StreamScan``).
    A file with no rows at all raises DataError as ``read_file`` does.
    """
    if chunk_size < 1:
        raise ConfigError(f"chunk_size must be at least 1, got {chunk_size}")
    records, path, multi_label = _records(path, text_column, label_column, format, True, label_separator,
                                          multi_label)
    pending: list[_Record] = []
    seen = 0
    for record in records:
        pending.append(record)
        if len(pending) == chunk_size:
            seen += len(pending)
            yield _collect(pending, path, skip_empty, True, False, multi_label, quiet=True, may_be_empty=True)
            pending = []
    if pending or not seen:
        yield _collect(pending, path, skip_empty, True, False, multi_label, quiet=True, may_be_empty=seen > 0)


def _records(path: str | Path, text_column: str | None, label_column: str | None, format: str | None,
             require_labels: bool, label_separator: str | None, multi_label: bool | None
             ) -> tuple[Iterator[_Record], Path, bool | None]:
    """The file's records, unchecked, in the format asked for or inferred; the settings are checked first."""
    path = Path(path)
    if label_separator is not None and (not label_separator or label_separator.isspace()):
        raise ConfigError(f"label_separator must be a visible character or string, got {label_separator!r}")
    if label_separator is not None and multi_label is False:
        raise ConfigError("label_separator splits labels into sets, which needs multi_label (not False)")
    if not path.exists():
        raise DataError("no such file or folder", path=path)
    fmt = format or _infer_format(path)
    if fmt not in FORMATS:
        raise ConfigError(f"unknown data format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    if (fmt == "folder") != path.is_dir():
        kind = "a folder" if path.is_dir() else "a file"
        raise DataError(f"is {kind}, which cannot be read as {fmt}", path=path)
    if fmt == "folder":
        records = _folder_records(path)
    elif fmt == "fasttext":
        records = _fasttext_records(path)
    elif fmt == "jsonl":
        records = _jsonl_records(path, text_column, label_column, require_labels, label_separator)
    else:
        delimiter = "," if fmt == "csv" else "\t"
        records = _csv_records(path, delimiter, text_column, label_column, require_labels, label_separator)
    return records, path, True if label_separator is not None else multi_label


def _infer_format(path: Path) -> str:
    if path.is_dir():
        return "folder"
    fmt = _FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(_FORMAT_BY_SUFFIX)
        raise DataError(f"cannot tell the format from the suffix (known: {known}); pass format=", path=path)
    return fmt


def _collect(records: Iterable[_Record], path: Path, skip_empty: bool, require_labels: bool,
             allow_empty: bool = False, multi_label: bool | None = None, quiet: bool = False,
             may_be_empty: bool = False) -> TextDataset:
    texts: list[str] = []
    labels: list[str | tuple[str, ...] | None] = []
    any_set = False
    skipped = 0
    first_unlabeled: _Record | None = None
    for record in records:
        if not record.text.strip() and not allow_empty:
            if skip_empty:
                skipped += 1
                continue
            raise DataError(f"empty text{record.hint}", path=record.path, row=record.row, field=record.text_field)
        if record.label is None:
            if require_labels:
                raise _missing_label(record, "")
            if first_unlabeled is None:
                first_unlabeled = record
        elif isinstance(record.label, tuple):
            if multi_label is False:
                raise DataError(f"{len(record.label)} labels ({', '.join(record.label)}) but multi_label is off"
                                f"{record.hint}", path=record.path, row=record.row, field=record.label_field)
            any_set = True
        texts.append(record.text)
        labels.append(record.label)
    if not texts and not may_be_empty:
        raise DataError(f"no rows (after skipping {skipped} with empty text)" if skipped else "no rows", path=path)
    if require_labels and first_unlabeled is not None and any(label is not None for label in labels):
        raise _missing_label(first_unlabeled, " (other rows have one)")
    if first_unlabeled is not None:
        dataset = TextDataset(texts, None, str(path))
    elif multi_label or any_set:
        sets = [label if isinstance(label, tuple) else (label,) for label in labels]
        dataset = TextDataset(texts, None, str(path), label_sets=sets)
    else:
        dataset = TextDataset(texts, labels, str(path))
    if skip_empty:
        dataset.notes["skipped_empty"] = skipped
        if skipped and not quiet:
            log.info("%s: skipped %d rows with empty text", path, skipped)
    return dataset


def _missing_label(record: _Record, why: str) -> DataError:
    return DataError(f"missing label{why}{record.hint}", path=record.path, row=record.row, field=record.label_field)


def _choose_fields(available: list[str], text_field: str | None, label_field: str | None, require_labels: bool,
                   where: dict, kind: str) -> tuple[str, str | None]:
    """Pick the text and label column (or JSON key) names; ``None`` for the label means an unlabeled file."""
    text_field = text_field or DEFAULT_TEXT
    for wanted in (text_field, label_field):
        if wanted is not None and wanted not in available:
            raise _no_such_field(wanted, available, where, kind)
    if label_field is not None:
        return text_field, label_field
    for default in (DEFAULT_LABEL, DEFAULT_LABELS):
        if default in available:
            return text_field, default
    if not require_labels:
        return text_field, None
    # Guessing is only worth it where the alternative is an error; with optional labels a stray "id"
    # column would otherwise be taken for labels.
    others = [name for name in available if name != text_field]
    if len(others) == 1:
        return text_field, others[0]
    raise _no_such_field(DEFAULT_LABEL, available, where, kind)


def _no_such_field(wanted: str, available: list[str], where: dict, kind: str) -> DataError:
    names = ", ".join(repr(name) for name in available) or "none"
    return DataError(f"no {kind} {wanted!r}; the {kind}s are: {names}", field=wanted, **where)


def _label(value: object, where: dict, field: str, separator: str | None) -> str | tuple[str, ...] | None:
    if isinstance(value, dict):
        raise DataError("label is an object; expected a string, or a list of strings for several labels",
                        field=field, **where)
    if isinstance(value, list):
        for position, item in enumerate(value, start=1):
            if isinstance(item, (list, dict)) or item is None:
                kind = "null" if item is None else type(item).__name__
                raise DataError(f"label list item {position} is {kind}; expected a string", field=field, **where)
        return _label_set([str(item) for item in value], where, field)
    if value is None:
        return None
    return _split_label(str(value), separator, where, field)


def _split_label(cell: str, separator: str | None, where: dict, field: str) -> str | tuple[str, ...] | None:
    """A label cell as one label, or as a set when ``separator`` is given; ``None`` for a blank cell."""
    if not cell.strip():
        return None
    if separator is None:
        return cell.strip()
    return _label_set(cell.split(separator), where, field)


def _label_set(items: list[str], where: dict, field: str) -> tuple[str, ...]:
    labels = [item.strip() for item in items]
    if not all(labels):
        position = labels.index("") + 1
        raise DataError(f"label list item {position} is empty (labels: {items!r})", field=field, **where)
    # Order and repeats carry no meaning in a set; sorted keeps the dataset the same whatever the file order.
    return tuple(sorted(set(labels)))


def _utf8_lines(path: Path) -> Iterator[str]:
    """The file's lines with their line endings, decoded one by one so a bad byte is reported by line."""
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                raise DataError(
                    f"line {number} is not valid UTF-8 (byte {raw[err.start]:#04x} at byte {err.start + 1} of the "
                    "line); save the file as UTF-8",
                    path=path,
                ) from None


def _csv_records(path: Path, delimiter: str, text_column: str | None, label_column: str | None,
                 require_labels: bool, label_separator: str | None = None) -> Iterator[_Record]:
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    reader = csv.reader(_utf8_lines(path), delimiter=delimiter, strict=True)
    row = 0
    header: list[str] | None = None
    while True:
        row += 1
        start_line = reader.line_num + 1
        hint = "" if start_line == row else f" (record starts on line {start_line})"
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise DataError(f"malformed record{hint}: {err}", path=path, row=row) from None
        if not fields:
            continue
        if header is None:
            header = [name.strip() for name in fields]
            text_name, label_name = _choose_fields(header, text_column, label_column, require_labels,
                                                   {"path": path, "row": row}, "column")
            text_at = header.index(text_name)
            label_at = None if label_name is None else header.index(label_name)
            continue
        if len(fields) != len(header):
            raise DataError(
                f"{len(fields)} fields but the header has {len(header)}{hint}; "
                f"is a field containing {delimiter!r} missing its quotes?",
                path=path,
                row=row,
            )
        label = None if label_at is None else _split_label(fields[label_at], label_separator,
                                                             {"path": path, "row": row}, label_name)
        yield _Record(fields[text_at], label, path, row, text_name, label_name, hint)


def _jsonl_records(path: Path, text_key: str | None, label_key: str | None,
                   require_labels: bool, label_separator: str | None = None) -> Iterator[_Record]:
    keys: tuple[str, str | None] | None = None
    for number, line in enumerate(_utf8_lines(path), start=1):
        if not line.strip():
            continue
        where = {"path": path, "row": number}
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataError(f"not valid JSON: {err.msg} at column {err.colno}", **where) from None
        if not isinstance(obj, dict):
            raise DataError(f"expected a JSON object, got {type(obj).__name__}", **where)
        if keys is None:
            keys = _choose_fields(list(obj), text_key, label_key, require_labels, where, "key")
        text_name, label_name = keys
        if text_name not in obj:
            raise _no_such_field(text_name, list(obj), where, "key")
        text = obj[text_name]
        if not isinstance(text, str):
            raise DataError(f"text must be a string, got {type(text).__name__}", field=text_name, **where)
        label = None if label_name is None else _label(obj.get(label_name), where, label_name, label_separator)
        yield _Record(text, label, path, number, text_name, label_name or DEFAULT_LABEL)


def _fasttext_records(path: Path) -> Iterator[_Record]:
    for number, line in enumerate(_utf8_lines(path), start=1):
        body = line.rstrip("\r\n")
        if not body.strip():
            continue
        labels, position = [], 0
        while match := _FASTTEXT_LABEL.match(body, position):
            labels.append(match.group(1))
            position = match.end()
        where = {"path": path, "row": number}
        if len(labels) > 1:
            label = _label_set(labels, where, DEFAULT_LABEL)
        else:
            label = labels[0] if labels else None
        yield _Record(body[position:].lstrip(), label or None, path, number, DEFAULT_TEXT, DEFAULT_LABEL)


def _folder_records(root: Path) -> Iterator[_Record]:
    # Sorted so that row order, and everything seeded downstream, is the same on every machine.
    for class_dir in sorted(_visible(root.iterdir())):
        if not class_dir.is_dir():
            continue
        found = 0
        for file in sorted(_visible(class_dir.iterdir())):
            if file.suffix == ".txt" and file.is_file():
                found += 1
                yield _Record(_read_utf8(file), class_dir.name, file, None, None, None)
        if not found:
            log.warning("%s: no .txt files, so label %r has no examples in this data", class_dir, class_dir.name)


def _visible(paths: Iterable[Path]) -> Iterator[Path]:
    return (path for path in paths if not path.name.startswith("."))


def _read_utf8(file: Path) -> str:
    data = file.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataError(f"not valid UTF-8 (byte {data[err.start]:#04x} at offset {err.start}); save it as UTF-8",
                        path=file) from None
