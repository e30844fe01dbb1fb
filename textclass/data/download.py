"""Download a file once, verify it, and only then put it where loaders look for it."""
from __future__ import annotations

import hashlib
import os
import urllib.request
from pathlib import Path

from tqdm import tqdm

from textclass.errors import DataError

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

    The bytes go to ``dest.part`` first and are moved into place only once verified, so an interrupted or
    corrupt download never looks like a finished one.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(dest.suffix + ".part")
    expected = {algo: want.lower() for algo, want in (("sha256", sha256), ("md5", md5)) if want}
    try:
        actual = _fetch(url, partial, list(expected), progress)
    except BaseException as err:
        partial.unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise DataError(f"could not download {url}: {err}; "
                            f"download it yourself and save it as {dest}", path=dest) from err
        raise
    for algo, want in expected.items():
        if actual[algo] != want:
            partial.unlink()
            raise DataError(f"{algo} mismatch for {url}: expected {want}, got {actual[algo]}", path=dest)
    os.replace(partial, dest)
    return dest


def _fetch(url: str, target: Path, algos: list[str], progress: bool) -> dict[str, str]:
    """Stream ``url`` into ``target``, hashing on the way so the file is not read a second time."""
    digests = {algo: hashlib.new(algo) for algo in algos}
    with urllib.request.urlopen(url, timeout=60) as response, open(target, "wb") as out:
        size = response.headers.get("Content-Length")
        with tqdm(total=int(size) if size else None, unit="B", unit_scale=True, unit_divisor=1024,
                  desc=target.name.removesuffix(".part"), disable=not progress) as bar:
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                for digest in digests.values():
                    digest.update(chunk)
                bar.update(len(chunk))
    return {algo: digest.hexdigest() for algo, digest in digests.items()}
