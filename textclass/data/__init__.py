"""Data in: users' files, built-in sources by name, and seeded stratified splits."""
from textclass.data.dataset import TextDataset
from textclass.data.files import read_file
from textclass.data.paths import resolve_data_dir
from textclass.data.registry import SOURCES, DataSource, list_sources, load_source, register_source
from textclass.data.splits import stratified_split, stratified_subsample
from textclass.data.stream import TextStream

# Imported for their side effect: registering the built-in sources.
from textclass.data import banking77, imdb  # noqa: E402,F401  isort: skip

__all__ = [
    "DataSource",
    "SOURCES",
    "TextDataset",
    "TextStream",
    "read_file",
    "load_source",
    "list_sources",
    "register_source",
    "resolve_data_dir",
    "stratified_split",
    "stratified_subsample",
]
