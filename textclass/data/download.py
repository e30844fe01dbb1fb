"""Download a file once, verify it, and only then put it where loaders look for it."""
from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from tqdm import tqdm

from textclass.errors import DataError
from textclass.io import atomic_path

_CHUNK = 1 << 20


def file_digest(path: str | Path, algo: str) -> str:
    """Hex digest of a file's bytes with a ``hashlib`` algorithm (``"sha256"``, ``"md5"``)."""
    digest = hashlib.new(algo)
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def download(url: str, dest: str | Path, sha256: str | None = None, md5: str | None = None,
             progress: bool = True) -> Path:
    """Fetch ``url`` to ``dest``, checking the given checksums, and return ``dest``.

    The bytes go to a temporary sibling first and are moved into place only once verified, so an interrupted
    or corrupt download never looks like a finished one.
    """
    dest = Path(dest)
    expected = {algo: want.lower() for algo, want in (("sha256", sha256), ("md5", md5)) if want}
    with atomic_path(dest) as partial:
        try:
            actual = _fetch(url, partial, list(expected), progress, name=dest.name)
        except OSError as err:
            raise DataError(f"could not download {url}: {err}; "
                            f"download it yourself and save it as {dest}", path=dest) from err
        for algo, want in expected.items():
            if actual[algo] != want:
                raise DataError(f"{algo} mismatch for {url}: expected {want}, got {actual[algo]}", path=dest)
    return dest


def _fetch(url: str, target: Path, algos: list[str], progress: bool, name: str) -> dict[str, str]:
    """Stream ``url`` into ``target``, hashing on the way so the file is not read a second time."""
    digests = {algo: hashlib.new(algo) for algo in algos}
    with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
        size = response.headers.get("Content-Length")
        with tqdm(total=int(size) if size else None, unit="B", unit_scale=True, unit_divisor=1024,
                  desc=name, disable=not progress) as bar:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                for digest in digests.values():
                    digest.update(chunk)
                bar.update(len(chunk))
    return {algo: digest.hexdigest() for algo, digest in digests.items()}
