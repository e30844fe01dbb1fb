"""Where data is read from, and where what we derive from it (downloads, prepared caches) is written."""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from textclass.errors import ConfigError

DATA_ENV = "TEXTCLASS_DATA"
CACHE_ENV = "TEXTCLASS_CACHE"
DEFAULT_DIR = Path("~/.cache/textclass")


def resolve_data_dir(explicit: str | Path | None = None) -> Path:
    """The data directory: ``explicit`` if given, else ``$TEXTCLASS_DATA``, else ``~/.cache/textclass``."""
    chosen = explicit or os.environ.get(DATA_ENV) or DEFAULT_DIR
    return Path(chosen).expanduser()


def writable_cache_dir(data_dir: str | Path) -> Path:
    """Where derived files go: ``$TEXTCLASS_CACHE`` if set, else ``data_dir`` if writable, else ``~/.cache/textclass``.

    An explicit ``$TEXTCLASS_CACHE`` wins even over a writable data directory: a user who names a cache
    location wants nothing written elsewhere. A data directory shared read-only (e.g. a lab's copy of the
    data sets) is left untouched.
    """
    override = os.environ.get(CACHE_ENV)
    if override:
        return _require_writable(Path(override).expanduser(), f"${CACHE_ENV}")
    data_dir = Path(data_dir).expanduser()
    if _is_writable(data_dir):
        return data_dir
    return _require_writable(DEFAULT_DIR.expanduser(), f"the fallback cache (set ${CACHE_ENV} to change it)")


def cache_dirs(data_dir: str | Path) -> list[Path]:
    """Directories that may already hold files derived for ``data_dir``, most preferred first; creates nothing.

    These are the places ``writable_cache_dir`` may pick plus ``data_dir`` itself, so a cache prepared once in a
    shared read-only data directory is found too.
    """
    override = os.environ.get(CACHE_ENV)
    candidates = [Path(override)] if override else []
    candidates.append(Path(data_dir))
    if not override:
        candidates.append(DEFAULT_DIR)
    return list(dict.fromkeys(path.expanduser() for path in candidates))


def _require_writable(path: Path, what: str) -> Path:
    if not _is_writable(path):
        raise ConfigError(f"{what} {path} is not a writable directory")
    return path


def _is_writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
        # root passes every permission check, so a folder someone deliberately marked read-only (no write
        # bit at all) would still look writable to a probe; respect the marking instead.
        if not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            return False
        # Only an actual write is conclusive: os.access can disagree with it on network shares and ACLs.
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False
