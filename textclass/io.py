"""Writing files so that nobody ever reads half of one: a temporary sibling, then a rename.

One rule for permissions everywhere: a file gets what a plain ``open()`` would give it under the user's umask
(``mkstemp`` would make it private, which breaks runs and caches meant to be shared).
"""
from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from typing import IO, Iterator


def _temporary_sibling(path: Path) -> Path:
    # The suffixes stay last: some writers (gensim, safetensors) pick their format from them.
    return path.with_name(f".{path.stem}.{uuid.uuid4().hex[:12]}.tmp{''.join(path.suffixes)}")


@contextlib.contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` for a writer that wants a file name; rename it into place after.

    On any error the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary_sibling(path)
    try:
        yield temporary
        # Some writers (safetensors) create private files; every file gets what open() would give it.
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_open(path, mode: str = "w", *, encoding: str | None = "utf-8", newline: str | None = None) -> Iterator[IO]:
    """``open(path, mode)`` whose contents appear at ``path`` only once the block finishes without error."""
    if "b" in mode:
        encoding = None
    with atomic_path(path) as temporary:
        with open(temporary, mode, encoding=encoding, newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())


def write_json(path, obj) -> None:
    """``obj`` as indented UTF-8 JSON, written atomically."""
    with atomic_open(path) as stream:
        stream.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def _umask() -> int:
    try:  # Linux says it without changing it; os.umask can only be read by setting it, racing other threads
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current
