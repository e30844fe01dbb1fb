"""A run directory: everything needed to rebuild a predictor, with no pickle anywhere.

    RUN/textclass-run.json the marker and manifest: format, version, and the size and SHA-256 of every other
                           file; written last, so a folder holding it is a complete run
    RUN/config.json        model, encoder and training configuration (plain JSON)
    RUN/labels.json        label names; index i is the model's output i
    RUN/vocab.json ...     the encoder's files (whatever its ``files`` lists)
    RUN/model.safetensors  weights
    RUN/metrics.json       the evaluation report, when one was made
    RUN/history.json       per-epoch training figures

Saving never destroys what is not a run: the target must be new, empty, or a textclass run (recognised by its
marker, or by the complete layout of a run saved before markers existed) holding nothing but its own files,
and a run is only replaced with ``overwrite=True``. One writer at a time: a lock file beside the target
(``.NAME.lock``, removed when released) is held while saving (and, from the CLI, during the whole training);
a second writer fails at once, naming the first one's pid. The run is written into a sibling staging folder
(``.NAME.PID-XXXX.partial``) and swapped into place atomically, so a save killed at any moment leaves the
previous run or the new one, never a mixture; staging folders of dead processes are removed by the next save.

Loading verifies every file against the manifest and refuses symbolic links, so it reads exactly the bytes
that were saved and nothing outside the run folder. The manifest detects damage and edits; it is not a
signature against someone who rewrites it too. Runs saved before manifests existed load with a warning.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import threading
from pathlib import Path
from typing import Iterator

from safetensors.torch import load_file, save_model

from .errors import ArtifactError
from .io import atomic_open, write_json

log = logging.getLogger("textclass")

FORMAT = "textclass-run"
# 2: the ngram encoder keeps its naive-Bayes weights in its own file, no longer in model.safetensors.
FORMAT_VERSION = 2
MANIFEST = "textclass-run.json"
MANIFEST_VERSION = 1
REQUIRED = ("config.json", "labels.json", "model.safetensors")
# What a run saved before manifests existed may hold; a folder with anything else is not taken for such a run.
LEGACY_NAMES = frozenset({*REQUIRED, "vocab.json", "ngram_features.safetensors", "metrics.json", "history.json",
                          "tokenizer", "hf_model"})


class RunExistsError(ArtifactError):
    """The target is a textclass run and replacing it was not asked for."""

    def __init__(self, path):
        super().__init__(f"{path} is a textclass run; replacing it needs overwrite=True")
        self.path = path


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot read {path}: {exc}") from None


# ------------------------------------------------------------------------------------ what a run folder is


def _manifest_of(directory: Path) -> dict | None:
    """The parsed marker of ``directory``, or None when there is none or it is not ours."""
    path = directory / MANIFEST
    if path.is_symlink() or not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(manifest, dict) and manifest.get("format") == FORMAT and isinstance(manifest.get("files"), dict):
        return manifest
    return None


def _is_legacy_run(directory: Path) -> bool:
    if not all((directory / name).is_file() for name in REQUIRED):
        return False
    try:
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get("format") == FORMAT


def is_run(directory) -> bool:
    """Whether ``directory`` is a textclass run: it has the marker, or the full layout of a run saved before
    markers existed (config.json of format textclass-run, labels.json and model.safetensors)."""
    directory = Path(directory)
    return directory.is_dir() and (_manifest_of(directory) is not None or _is_legacy_run(directory))


def _foreign_entries(directory: Path) -> list[str]:
    """Entries of the run ``directory`` that are not part of it: replacing the run would delete them."""
    manifest = _manifest_of(directory)
    if manifest is None:
        return sorted(p.name for p in directory.iterdir() if p.name not in LEGACY_NAMES)
    owned = set(manifest["files"]) | {MANIFEST}
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*")
                  if not p.is_dir() and p.relative_to(directory).as_posix() not in owned)


def check_target(directory, overwrite: bool = False) -> None:
    """Raise ArtifactError if a run may not be saved at ``directory``.

    Allowed: a path that does not exist yet (under a writable folder), an empty folder, or, with
    ``overwrite``, a textclass run holding only its own files. Everything else is refused: a file, a folder
    holding anything else, the current directory or one of its parents, the root, a path inside a run, a
    symbolic link. Callers check before training, so that a refusal does not come after the work.
    """
    if not str(directory).strip():
        raise ArtifactError("the run directory is an empty path")
    path = Path(directory)
    if path.is_symlink():
        raise ArtifactError(f"{path} is a symbolic link; give the folder itself")
    target = path.resolve()
    cwd = Path.cwd().resolve()
    if target == Path(target.anchor):
        raise ArtifactError(f"{path} is the root of the file system; name a new folder for the run")
    if target == cwd or target in cwd.parents:
        raise ArtifactError(f"{path} is the current directory or one of its parents; name a new folder for the run")
    inside = next((parent for parent in target.parents if is_run(parent)), None)
    if inside is not None:
        raise ArtifactError(f"{path} is inside the run {inside}; name a folder outside it")
    if target.exists():
        if not target.is_dir():
            raise ArtifactError(f"{path} exists and is a file, not a textclass run; refusing to replace it")
        if any(target.iterdir()):
            if not is_run(target):
                raise ArtifactError(f"{path} exists, is not empty and is not a textclass run; refusing to replace it "
                                    "(name a new or empty folder)")
            foreign = _foreign_entries(target)
            if foreign:
                raise ArtifactError(f"{path} is a textclass run but also holds {', '.join(foreign[:5])}, which "
                                    "replacing it would delete; move them out first")
            if not overwrite:
                raise RunExistsError(path)
        writable = target.parent
    else:
        writable = next(parent for parent in target.parents if parent.exists())
        if not writable.is_dir():
            raise ArtifactError(f"{path}: {writable} is a file, so no folder can be made under it")
    if not os.access(writable, os.W_OK | os.X_OK):
        raise ArtifactError(f"{path}: no permission to write in {writable}")


# ------------------------------------------------------------------------------------------------ locking

_held: dict[Path, list] = {}  # lock file -> [fd, depth, owning thread]
_held_guard = threading.Lock()


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


@contextlib.contextmanager
def _locked(target: Path, shown) -> Iterator[None]:
    """Hold the lock of ``target`` (reentrant within a thread; any other holder makes this fail at once).
    ``shown`` is the path as the user gave it, for messages."""
    lock = _lock_path(target)
    me = threading.get_ident()
    with _held_guard:
        entry = _held.get(lock)
        if entry is not None and entry[2] != me:
            raise ArtifactError(f"{shown} is being written by another thread of this process")
        if entry is not None:
            entry[1] += 1
    if entry is None:
        fd = _acquire(lock, shown)
        with _held_guard:
            _held[lock] = entry = [fd, 1, me]
    try:
        yield
    finally:
        with _held_guard:
            entry[1] -= 1
            if entry[1] == 0:
                del _held[lock]
                # Unlinked while still held; a waiter that opened it meanwhile sees the inode gone and retries.
                lock.unlink(missing_ok=True)
                os.close(entry[0])  # closing releases the flock


def _acquire(lock: Path, shown) -> int:
    lock.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise ArtifactError(f"{shown} is being written by another textclass process (pid {holder}); wait for "
                                f"it to finish or choose another folder") from None
        try:
            current = os.stat(lock).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(fd).st_ino:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            return fd
        os.close(fd)  # the holder we waited on removed this file; lock the one that is there now


@contextlib.contextmanager
def writing(directory, overwrite: bool = False) -> Iterator[Path]:
    """Check ``directory`` as a save target and hold its lock for the block; yields the resolved path.

    The CLI wraps a whole training in this, so that a second training to the same folder fails before it
    starts; ``save_run`` takes the same lock again (reentrant) and re-checks the target.
    """
    check_target(directory, overwrite)
    target = Path(directory).resolve()
    with _locked(target, directory):
        _remove_stale_staging(target)  # may put back a run that an interrupted save had moved aside
        check_target(directory, overwrite)  # the first check ran before the lock; the folder may have changed
        yield target


# ------------------------------------------------------------------------------------------------- saving


def save_run(directory, *, config: dict, labels: list[str], encoder, model, extra_json: dict | None = None,
             extra_text: dict[str, str] | None = None, overwrite: bool = False) -> Path:
    with writing(directory, overwrite) as target:
        staging = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.partial")
        staging.mkdir()
        try:
            write_json(staging / "config.json", {"format": FORMAT, "format_version": FORMAT_VERSION,
                                                 "manifest": MANIFEST, **config})
            write_json(staging / "labels.json", labels)
            encoder.save(staging)
            model.save_files(staging)  # e.g. a transformer's architecture config, to rebuild it offline
            save_model(model, str(staging / "model.safetensors"))
            os.chmod(staging / "model.safetensors", 0o644)  # safetensors makes a private file; runs are shared
            for name, obj in (extra_json or {}).items():
                write_json(staging / name, obj)
            for name, text in (extra_text or {}).items():
                (staging / name).write_text(text, encoding="utf-8")
            _write_manifest(staging)  # last: its presence says every other file is complete
            _swap_into_place(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # the new run's leftovers, or the replaced run
    return Path(directory)


_STAGING = re.compile(r"\.(?P<pid>\d+)-[0-9a-f]+\.partial|\.old-(?P<old_pid>\d+)")
_LEGACY_STAGING = re.compile(r"\.[a-z0-9_]{8}\.partial")  # tempfile.mkdtemp's, from before pids were recorded


def write_run_file(directory, name: str, text: str) -> Path:
    """Add or replace one derived text file (a report) in an existing run, atomically, and list it in the run's
    manifest, under the run's lock."""
    directory, _, _ = read_run(directory)  # verified first: never bless a damaged run's files
    if not _inside(name) or "/" in name or name in (MANIFEST, "config.json", "labels.json", "model.safetensors"):
        raise ArtifactError(f"{name!r} cannot be written into a run")
    with _locked(directory.resolve(), directory):
        with atomic_open(directory / name) as stream:
            stream.write(text)
        manifest = _manifest_of(directory)
        if manifest is not None:
            path = directory / name
            manifest["files"][name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
            write_json(directory / MANIFEST, manifest)
    return directory / name


def _remove_stale_staging(target: Path) -> None:
    """Remove staging folders for ``target`` left by processes that died mid-save (called holding the lock,
    so no live writer of this target can own one)."""
    prefix = f".{target.name}"
    for entry in target.parent.iterdir():
        if not entry.name.startswith(prefix) or not entry.is_dir() or entry.is_symlink():
            continue
        found = _STAGING.fullmatch(entry.name[len(prefix):])
        if found:
            pid = int(found.group("pid") or found.group("old_pid"))
            if pid != os.getpid() and _alive(pid):
                continue
            if found.group("old_pid") and not target.exists():
                log.warning("restoring %s from %s, where an interrupted save had moved it", target, entry)
                os.replace(entry, target)
            else:
                log.info("removing %s, left by an interrupted save (process %d)", entry, pid)
                shutil.rmtree(entry, ignore_errors=True)
        elif _LEGACY_STAGING.fullmatch(entry.name[len(prefix):]):
            log.warning("%s looks left by an interrupted save of an earlier textclass; delete it if no save of "
                        "%s is running", entry, target)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _write_manifest(staging: Path) -> None:
    files = {}
    for path in sorted(staging.rglob("*")):
        if path.is_file():
            files[path.relative_to(staging).as_posix()] = {"size": path.stat().st_size, "sha256": _sha256(path)}
    write_json(staging / MANIFEST, {"format": FORMAT, "format_version": FORMAT_VERSION,
                                    "manifest_version": MANIFEST_VERSION, "files": files})


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _swap_into_place(staging: Path, target: Path) -> None:
    """Put ``staging`` at ``target``; an existing ``target`` ends up at ``staging`` (for the caller to delete).

    Where the kernel can exchange two paths in one step (Linux renameat2), there is no moment without a
    complete run at ``target``; elsewhere the old run is renamed aside first, a window of two renames.
    """
    if not target.exists():
        os.replace(staging, target)
    elif not _exchange(staging, target):
        retired = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, retired)
        try:
            os.replace(staging, target)
        finally:
            if target.exists():
                shutil.rmtree(retired, ignore_errors=True)
            else:  # the new run did not arrive: the previous one goes back (a kill here is undone by the next save)
                os.replace(retired, target)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the system cannot (not Linux, old kernel, some file systems)."""
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


# ------------------------------------------------------------------------------------------------ loading


def read_run(directory) -> tuple[Path, dict, list[str]]:
    """Check ``directory`` (links, manifest, config and labels) and return it with its config and labels."""
    from .artifact_checks import check_config, check_labels

    directory = Path(directory)
    if not directory.is_dir():
        retired = sorted(directory.parent.glob(f".{directory.name}.old-*")) if directory.name else []
        hint = f" (a save interrupted mid-swap left the previous run at {retired[0]}; rename it back)" if retired else ""
        raise ArtifactError(f"{directory}: no such run directory{hint}")
    _refuse_links(directory)
    has_manifest = (directory / MANIFEST).exists()
    if has_manifest:
        _verify_manifest(directory)
    missing = [name for name in REQUIRED if not (directory / name).is_file()]
    if missing:
        raise ArtifactError(f"{directory}: not a complete textclass run (missing {', '.join(missing)})")
    config = read_json(directory / "config.json")
    if not isinstance(config, dict):
        config = {}
    if config.get("format") != FORMAT or not isinstance(config.get("format_version", 0), int) \
            or config.get("format_version", 0) > FORMAT_VERSION:
        raise ArtifactError(f"{directory / 'config.json'}: run format {config.get('format')!r} v{config.get('format_version')} "
                            f"is not readable by this textclass (reads {FORMAT} v{FORMAT_VERSION})")
    if not has_manifest:
        if config.get("manifest"):
            raise ArtifactError(f"{directory}/{MANIFEST} is missing; without it the run's files cannot be verified")
        log.warning("%s was saved by an earlier textclass, without %s: its files cannot be verified (save it "
                    "again to add one)", directory, MANIFEST)
    check_config(config, directory / "config.json")
    labels = read_json(directory / "labels.json")
    check_labels(labels, directory / "labels.json")
    return directory, config, labels


def _refuse_links(directory: Path) -> None:
    """Every entry under the run must be a plain file or folder: a link could lead loading out of the run,
    and a FIFO or device would hang it."""
    for root, folders, files in os.walk(directory):
        for name in folders + files:
            path = Path(root) / name
            if path.is_symlink():
                raise ArtifactError(f"{path} is a symbolic link (to {os.readlink(path)}); a run is read from its own "
                                    "files only")
            if name in files and not path.is_file():
                raise ArtifactError(f"{path} is not a regular file")


def _verify_manifest(directory: Path) -> None:
    manifest = read_json(directory / MANIFEST)
    where = directory / MANIFEST
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), dict):
        raise ArtifactError(f"{where}: not a textclass manifest; the file is damaged")
    if not isinstance(manifest.get("manifest_version"), int) or manifest["manifest_version"] > MANIFEST_VERSION:
        raise ArtifactError(f"{where}: manifest version {manifest.get('manifest_version')!r} is not readable by "
                            f"this textclass (reads {MANIFEST_VERSION})")
    listed = manifest["files"]
    for name, entry in listed.items():
        if (not isinstance(entry, dict) or not isinstance(entry.get("size"), int)
                or not isinstance(entry.get("sha256"), str) or not _inside(name)):
            raise ArtifactError(f"{where}: entry {name!r} is damaged")
        path = directory / name
        if not path.is_file():
            raise ArtifactError(f"{path} is missing (the run's manifest lists it)")
        size = path.stat().st_size
        if size != entry["size"]:
            raise ArtifactError(f"{path} has {size} bytes, the manifest says {entry['size']}: the file was changed "
                                "or damaged after saving")
        if _sha256(path) != entry["sha256"]:
            raise ArtifactError(f"{path} differs from the manifest's SHA-256: the file was changed or damaged "
                                "after saving")
    # Folders a third-party loader reads whole (the transformer's tokenizer/ and hf_model/), and any the run lists.
    listed_folders = {"tokenizer", "hf_model"} | {name.split("/")[0] for name in listed if "/" in name}
    for path in sorted(directory.rglob("*")):
        name = path.relative_to(directory).as_posix()
        if path.is_dir() or name in listed or name == MANIFEST:
            continue
        folder = name.split("/")[0] if "/" in name else None
        if folder in listed_folders:
            raise ArtifactError(f"{path} is not part of the run (not in its manifest) and would be read with it; "
                                "remove it")
        if folder is None:
            log.warning("%s is not part of the run (not in its manifest); it is ignored", path)
        # A folder the run never had (an ONNX export, RUN/onnx/) is something else's, made from the run; loading
        # the run never reads it.


def _inside(name: str) -> bool:
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and ".." not in parts and "" not in parts and name != MANIFEST


def load_weights(model, directory: Path) -> None:
    """The run's weights into ``model``, through the family's ``upgrade_state_dict`` for runs saved earlier."""
    path = directory / "model.safetensors"
    try:
        state = model.upgrade_state_dict(load_file(str(path)))
        missing, unexpected = model.load_state_dict(state, strict=False)
    except Exception as exc:  # safetensors and torch raise several types for corrupt or mismatched files
        raise ArtifactError(f"{path}: cannot load weights: {exc}") from None
    if missing or unexpected:
        raise ArtifactError(f"{path} does not match the configured model "
                            f"(missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]})")
