"""Named built-in data sources (``imdb``), so a config or the CLI can ask for data by name.

A source is a class registered with ``@register_source("name")`` that has ``splits`` (a tuple),
``description``, ``load(split, data_dir, progress) -> TextDataset`` and ``status(data_dir) -> str``, the
latter saying where the data is or will be put. ``data_dir`` reaches sources already resolved.
"""
from __future__ import annotations

from pathlib import Path

from textclass.data.dataset import TextDataset
from textclass.data.paths import resolve_data_dir
from textclass.errors import ConfigError

_REQUIRED = ("splits", "description", "load", "status")
_SOURCES: dict[str, type] = {}


def register_source(name: str):
    """Class decorator that makes a data source loadable as ``name``."""

    def register(cls: type) -> type:
        missing = [attribute for attribute in _REQUIRED if not hasattr(cls, attribute)]
        if missing:
            raise TypeError(f"data source {cls.__name__} lacks {', '.join(missing)}")
        if _SOURCES.get(name, cls) is not cls:
            raise ValueError(f"two data sources are registered as {name!r}")
        cls.name = name
        _SOURCES[name] = cls
        return cls

    return register


def load_source(name: str, split: str, data_dir: str | Path | None = None, progress: bool = True) -> TextDataset:
    """Load one split of a built-in source, fetching and preparing it on first use."""
    source = _source(name)
    if split not in source.splits:
        raise ConfigError(f"data source {name!r} has no split {split!r}; its splits are: {', '.join(source.splits)}")
    return source.load(split, resolve_data_dir(data_dir), progress)


def list_sources(data_dir: str | Path | None = None) -> list[dict]:
    """Each source's name, splits, description and ``location`` (where it is cached, or that it is absent)."""
    directory = resolve_data_dir(data_dir)
    listing = []
    for name in sorted(_SOURCES):
        source = _SOURCES[name]()
        listing.append({
            "name": name,
            "splits": tuple(source.splits),
            "description": source.description,
            "location": source.status(directory),
        })
    return listing


def _source(name: str):
    if name not in _SOURCES:
        raise ConfigError(f"unknown data source {name!r}; known sources: {', '.join(sorted(_SOURCES)) or 'none'}")
    return _SOURCES[name]()
