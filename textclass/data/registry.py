"""Named built-in data sources (``imdb``, ``banking77``), so a config or the CLI can ask for data by name.

A source derives from ``DataSource`` and is registered with ``@register_source("name")`` in the same kind of
``Registry`` as models and encoders. ``data_dir`` reaches sources already resolved.
"""
from __future__ import annotations

import abc
from pathlib import Path
from typing import ClassVar

from textclass.data.dataset import TextDataset
from textclass.data.paths import resolve_data_dir
from textclass.errors import ConfigError
from textclass.registry import Registry


class DataSource(abc.ABC):
    registry_name: ClassVar[str]  # set by the registry
    splits: ClassVar[tuple[str, ...]]
    description: ClassVar[str]

    @abc.abstractmethod
    def load(self, split: str, data_dir: Path, progress: bool = True) -> TextDataset:
        """One split, fetched and prepared on first use."""

    @abc.abstractmethod
    def status(self, data_dir: Path) -> str:
        """Where the data is, or where it will be put."""


SOURCES: Registry = Registry("data source", base=DataSource)


def register_source(name: str):
    """Class decorator that makes a ``DataSource`` loadable as ``name``."""
    return SOURCES.register(name)


def load_source(name: str, split: str, data_dir: str | Path | None = None, progress: bool = True) -> TextDataset:
    """Load one split of a built-in source, fetching and preparing it on first use."""
    source = SOURCES.get(name)()
    if split not in source.splits:
        raise ConfigError(f"data source {name!r} has no split {split!r}; its splits are: {', '.join(source.splits)}")
    return source.load(split, resolve_data_dir(data_dir), progress)


def list_sources(data_dir: str | Path | None = None) -> list[dict]:
    """Each source's name, splits, description and ``location`` (where it is cached, or that it is absent)."""
    directory = resolve_data_dir(data_dir)
    listing = []
    for name in SOURCES.names():
        source = SOURCES.get(name)()
        listing.append({"name": name, "splits": tuple(source.splits), "description": source.description,
                        "location": source.status(directory)})
    return listing
