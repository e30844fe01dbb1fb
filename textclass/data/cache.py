"""A source's data prepared once into one JSON Lines file per split, with a manifest written last.

Reading a prepared split is a fraction of a second where the original (an archive of 100,000 small files, say)
takes many; the manifest's presence marks the cache complete, and its ``format_version`` lets a source change
the prepared shape without misreading old caches.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator

from textclass.data.paths import cache_dirs, writable_cache_dir
from textclass.io import atomic_open, write_json

MANIFEST_NAME = "manifest.json"


class PreparedCache:
    def __init__(self, name: str, format_version: int, splits: tuple[str, ...]):
        self.name, self.format_version, self.splits = name, format_version, splits

    def split_file(self, directory: Path, split: str) -> Path:
        return directory / f"{split}.jsonl"

    def find(self, data_dir: Path) -> Path | None:
        """The first complete cache among the places ``data_dir``'s derived files may be."""
        for parent in cache_dirs(data_dir):
            directory = parent / self.name
            try:
                manifest = json.loads((directory / MANIFEST_NAME).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if (isinstance(manifest, dict) and manifest.get("format_version") == self.format_version
                    and all(self.split_file(directory, split).is_file() for split in self.splits)):
                return directory
        return None

    def write(self, data_dir: Path, rows: dict[str, Iterable[dict]], manifest: dict) -> Path:
        """Write every split's rows, then the manifest; returns the cache directory."""
        directory = writable_cache_dir(data_dir) / self.name
        directory.mkdir(parents=True, exist_ok=True)
        for split in self.splits:
            with atomic_open(self.split_file(directory, split)) as out:
                out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows[split])
        write_json(directory / MANIFEST_NAME, {"format_version": self.format_version, **manifest})
        return directory

    def read(self, directory: Path, split: str) -> Iterator[dict]:
        with open(self.split_file(directory, split), encoding="utf-8") as stream:
            for line in stream:
                yield json.loads(line)
