"""The built-in source ``imdb``: the Large Movie Review Dataset v1.0 (Maas et al., ACL 2011).

The archive holds 100,000 small files. Opening them on every load would be slow and extracting them litters
the disk, so the first load reads the archive as a stream (or walks an extracted ``aclImdb/`` folder) once and
writes one JSON Lines file per split plus ``manifest.json`` into ``<cache>/imdb/``. Later loads read only the
split file they need.

Where the data comes from, first match wins: a prepared cache; an extracted ``aclImdb/`` in the data
directory; an ``aclImdb_v1.tar.gz`` in the data directory or the cache (accepted as is: repacks have other
checksums); otherwise a download, verified against the official md5.
"""
from __future__ import annotations

import logging
import re
import tarfile
import zlib
from collections import Counter
from pathlib import Path
from typing import NamedTuple

from tqdm import tqdm

from textclass.data.cache import MANIFEST_NAME, PreparedCache
from textclass.data.dataset import TextDataset
from textclass.data.download import download
from textclass.data.paths import cache_dirs, writable_cache_dir
from textclass.data.registry import DataSource, register_source
from textclass.errors import DataError

log = logging.getLogger("textclass.data")

URL = "http://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
MD5 = "7c2ac02c03563afcf9b574c7e56c153a"
ARCHIVE_NAME = "aclImdb_v1.tar.gz"
FOLDER_NAME = "aclImdb"
SPLITS = ("train", "test", "unsup")
# Bump the version when the prepared files change shape, so that old caches are rebuilt instead of misread.
CACHE = PreparedCache("imdb", format_version=1, splits=SPLITS)
EXPECTED_COUNTS = {"train": 25000, "test": 25000, "unsup": 50000}
# (folder under aclImdb/, class folder) -> (our split, label)
_LAYOUT = {
    ("train", "neg"): ("train", "neg"),
    ("train", "pos"): ("train", "pos"),
    ("test", "neg"): ("test", "neg"),
    ("test", "pos"): ("test", "pos"),
    ("train", "unsup"): ("unsup", None),
}
# Review files are named <review id>_<rating>.txt; the rating is 0 for unlabeled reviews.
_REVIEW_FILE = re.compile(r"(\d+)_(\d+)\.txt")


class _Review(NamedTuple):
    label: str | None
    id: int
    rating: int
    text: str


@register_source("imdb")
class Imdb(DataSource):
    splits = SPLITS
    description = "IMDB movie reviews, pos/neg sentiment (Maas et al. 2011): 25k train, 25k test, 50k unlabeled"

    def load(self, split: str, data_dir: Path, progress: bool = True) -> TextDataset:
        cache = CACHE.find(data_dir) or _prepare(data_dir, progress)
        return _read_split(cache, split)

    def status(self, data_dir: Path) -> str:
        cache = CACHE.find(data_dir)
        if cache is not None:
            return f"prepared in {cache}"
        folder = data_dir / FOLDER_NAME
        if folder.is_dir():
            return f"extracted folder {folder}; prepared on first load"
        archive = _find_archive(data_dir)
        if archive is not None:
            return f"archive {archive}; prepared on first load"
        return f"not present; downloaded from {URL} (about 80 MB) on first load"


def _find_archive(data_dir: Path) -> Path | None:
    return next((d / ARCHIVE_NAME for d in cache_dirs(data_dir) if (d / ARCHIVE_NAME).is_file()), None)


def _prepare(data_dir: Path, progress: bool) -> Path:
    folder = data_dir / FOLDER_NAME
    if folder.is_dir():
        source: Path = folder
        reviews = _scan_folder(folder)
    else:
        source = _find_archive(data_dir) or download(
            URL, writable_cache_dir(data_dir) / ARCHIVE_NAME, md5=MD5, progress=progress
        )
        reviews = _scan_archive(source, progress)
    return _write_cache(data_dir, reviews, source)


def _scan_archive(archive: Path, progress: bool) -> dict[str, list[_Review]]:
    reviews: dict[str, list[_Review]] = {split: [] for split in SPLITS}
    try:
        with open(archive, "rb") as raw, tqdm.wrapattr(raw, "read", total=archive.stat().st_size,
                                                      desc=f"reading {archive.name}", disable=not progress) as stream:
            # "r|gz" reads the archive front to back once, never seeking and never extracting to disk.
            with tarfile.open(fileobj=stream, mode="r|gz") as tar:
                for member in tar:
                    top, *below = member.name.removeprefix("./").split("/")
                    place = _place(below) if top == FOLDER_NAME else None
                    if place is not None and member.isfile():
                        _add(reviews, place, tar.extractfile(member).read(), f"{archive}:{member.name}")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise DataError(f"cannot read the archive ({err}); delete it to have it downloaded again",
                        path=archive) from err
    return reviews


def _scan_folder(folder: Path) -> dict[str, list[_Review]]:
    reviews: dict[str, list[_Review]] = {split: [] for split in SPLITS}
    for part, group in _LAYOUT:
        directory = folder / part / group
        if directory.is_dir():
            for file in directory.iterdir():
                place = _place([part, group, file.name])
                if place is not None and file.is_file():
                    _add(reviews, place, file.read_bytes(), str(file))
    return reviews


def _place(parts: list[str]) -> tuple[str, str | None, int, int] | None:
    """``(split, label, id, rating)`` for a review file, given its path parts below ``aclImdb/``; None for others."""
    if len(parts) != 3 or (parts[0], parts[1]) not in _LAYOUT:
        return None
    found = _REVIEW_FILE.fullmatch(parts[2])
    if found is None:
        return None
    split, label = _LAYOUT[parts[0], parts[1]]
    return split, label, int(found.group(1)), int(found.group(2))


def _add(reviews: dict[str, list[_Review]], place: tuple, data: bytes, where: str) -> None:
    split, label, review_id, rating = place
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"review is not valid UTF-8 ({err.reason} at byte {err.start})", path=where) from None
    reviews[split].append(_Review(label, review_id, rating, text))


def _write_cache(data_dir: Path, reviews: dict[str, list[_Review]], source: Path) -> Path:
    labels = {}
    for split, items in reviews.items():
        # Archive order is whatever the packer produced; sorting makes row order, and every seeded
        # split made from it, identical whichever copy of the data was used.
        items.sort(key=lambda review: (review.label or "", review.id))
        labels[split] = dict(sorted(Counter(review.label or "(unlabeled)" for review in items).items()))
        log.info("imdb %s: %d reviews %s", split, len(items), labels[split])
        if len(items) != EXPECTED_COUNTS[split]:
            log.warning("imdb %s: expected %d reviews, %s has %d", split, EXPECTED_COUNTS[split], source, len(items))
    rows = {split: (review._asdict() for review in items) for split, items in reviews.items()}
    return CACHE.write(data_dir, rows, {"source": str(source), "labels": labels,
                                        "counts": {split: len(items) for split, items in reviews.items()}})


def _read_split(cache: Path, split: str) -> TextDataset:
    texts, labels = [], []
    for review in CACHE.read(cache, split):
        texts.append(review["text"])
        labels.append(review["label"])
    if not texts:
        raise DataError(f"no reviews for split {split!r}; the data this cache was prepared from lacks them",
                        path=cache / MANIFEST_NAME)
    return TextDataset(texts, None if split == "unsup" else labels, f"imdb/{split}")
