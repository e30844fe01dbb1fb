"""A built-in source made of a few remote files: found in the data directory, else downloaded (checksummed)
into the cache once, then read by the ordinary file readers. A new source of this kind is a few lines."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar, NamedTuple

from textclass.data.dataset import TextDataset
from textclass.data.download import download
from textclass.data.files import read_file
from textclass.data.paths import cache_dirs, writable_cache_dir
from textclass.data.registry import DataSource


class RemoteFile(NamedTuple):
    url: str
    md5: str


class RemoteFilesSource(DataSource):
    folder: ClassVar[str]  # <data dir or cache>/<folder>/<split file name>
    files: ClassVar[dict[str, tuple[str, RemoteFile]]]  # split -> (file name, where to fetch it)
    text_column: ClassVar[str] = "text"
    label_column: ClassVar[str] = "label"

    @property
    def splits(self) -> tuple[str, ...]:  # type: ignore[override]
        return tuple(self.files)

    def _present(self, data_dir: Path, split: str) -> Path | None:
        name = self.files[split][0]
        return next((d / self.folder / name for d in cache_dirs(data_dir) if (d / self.folder / name).is_file()), None)

    def load(self, split: str, data_dir: Path, progress: bool = True) -> TextDataset:
        path = self._present(data_dir, split)
        if path is None:
            name, remote = self.files[split]
            path = download(remote.url, writable_cache_dir(data_dir) / self.folder / name, md5=remote.md5,
                            progress=progress)
        return read_file(path, text_column=self.text_column, label_column=self.label_column)

    def status(self, data_dir: Path) -> str:
        found = {split: self._present(data_dir, split) for split in self.files}
        if all(found.values()):
            return f"in {next(iter(found.values())).parent}"
        missing = ", ".join(self.files[split][0] for split, path in found.items() if path is None)
        return f"not present ({missing}); downloaded on first load"
