"""Checkpoints of a training in progress, so that a killed training resumes exactly where it stopped.

A checkpoint is a folder holding ``tensors.safetensors`` (every tensor and array: weights, optimizer moments,
RNG states) and ``state.json`` (everything else: the loop's position, history, early stopping, schedules,
generator states, with ``{"__tensor__": key}`` where a tensor stood). Nothing is pickled. A checkpoint is
written in a temporary folder and renamed into place, so a kill while writing leaves the previous one intact;
only the newest ``keep`` are kept.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
import uuid
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from ..errors import ArtifactError, ConfigError
from ..text.ragged import RaggedIds

log = logging.getLogger("textclass.training")

FORMAT = "textclass-checkpoint"
FORMAT_VERSION = 1
TENSORS, STATE = "tensors.safetensors", "state.json"
PREFIX = "step-"


def checkpoint_dir_for(out) -> Path:
    """Where checkpoints of a training that will be saved to ``out`` live: a hidden sibling of it."""
    out = Path(out)
    return out.parent / f".{out.name}.checkpoints"


# -- tensors and JSON, without pickle ------------------------------------------------------------------------

def flatten(obj, tensors: dict[str, torch.Tensor], key: str = "t"):
    """A JSON-able tree for ``obj``; its tensors and arrays go into ``tensors`` under path-like keys."""
    if isinstance(obj, torch.Tensor):
        tensors[key] = obj.detach().to("cpu", copy=True).contiguous()
        return {"__tensor__": key}
    if isinstance(obj, np.ndarray):
        # uint32 (NumPy's Mersenne Twister state) travels as int64, which every safetensors reader has.
        tensors[key] = torch.from_numpy(np.ascontiguousarray(obj).astype(np.int64 if obj.dtype == np.uint32 else obj.dtype))
        return {"__ndarray__": key, "dtype": str(obj.dtype)}
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: flatten(v, tensors, f"{key}.{k}") for k, v in obj.items()}
        return {"__items__": [[k, flatten(v, tensors, f"{key}.{i}")] for i, (k, v) in enumerate(obj.items())]}
    if isinstance(obj, tuple):
        return {"__tuple__": [flatten(v, tensors, f"{key}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [flatten(v, tensors, f"{key}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (np.integer, np.floating)):
        return obj.item()
    raise TypeError(f"cannot checkpoint a {type(obj).__name__} at {key}")


def unflatten(tree, tensors: dict[str, torch.Tensor]):
    if isinstance(tree, dict):
        if "__tensor__" in tree:
            return tensors[tree["__tensor__"]]
        if "__ndarray__" in tree:
            return tensors[tree["__ndarray__"]].numpy().astype(tree["dtype"])
        if "__items__" in tree:
            return {k: unflatten(v, tensors) for k, v in tree["__items__"]}
        if "__tuple__" in tree:
            return tuple(unflatten(v, tensors) for v in tree["__tuple__"])
        return {k: unflatten(v, tensors) for k, v in tree.items()}
    if isinstance(tree, list):
        return [unflatten(v, tensors) for v in tree]
    return tree


# -- random number generators --------------------------------------------------------------------------------

def rng_states() -> dict:
    states = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict) -> None:
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


DIGEST_SLICE = 1 << 22


def fingerprint(*parts) -> str:
    """A digest of what a checkpoint must be resumed with (settings, model shape, the encoded data).

    A ``RaggedIds`` part stands for its ids (the bytes of ``values``)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, RaggedIds):  # its ids, a slice at a time: ids kept on disk are never read in whole
            for _, _, values in part.slices(DIGEST_SLICE):
                digest.update(np.ascontiguousarray(values).tobytes())
        elif isinstance(part, np.ndarray):
            digest.update(np.ascontiguousarray(part).tobytes())
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\0")
    return digest.hexdigest()


# -- the folder ------------------------------------------------------------------------------------------------

class Checkpointer:
    """Writes and finds the checkpoints of one training.

    ``every_steps``: a checkpoint after every that many optimizer steps (None: only at the end of each epoch).
    ``resume``: start from the newest checkpoint in ``directory`` when there is one.
    """

    def __init__(self, directory, *, every_steps: int | None = None, keep: int = 2, resume: bool = False):
        if every_steps is not None and every_steps < 1:
            raise ConfigError(f"checkpoint every_steps must be at least 1, got {every_steps}")
        if keep < 1:
            raise ConfigError(f"checkpoints to keep must be at least 1, got {keep}")
        self.directory, self.every_steps, self.keep, self.resume = Path(directory), every_steps, keep, resume

    def check_start(self) -> None:
        """A fresh training refuses to mix its checkpoints with those of an interrupted one."""
        if not self.resume and self.checkpoints():
            raise ConfigError(f"{self.directory} holds checkpoints of an interrupted training: resume it "
                              "(a Checkpointer with resume) or remove that folder to start over")

    def due(self, step: int) -> bool:
        return self.every_steps is not None and step % self.every_steps == 0

    def checkpoints(self) -> list[Path]:
        """Complete checkpoints, oldest first (a folder still being written has a temporary name)."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if p.name.startswith(PREFIX) and (p / STATE).is_file())

    def save(self, name: str, payload: dict) -> Path:
        tensors: dict[str, torch.Tensor] = {}
        tree = {"format": FORMAT, "format_version": FORMAT_VERSION, "payload": flatten(payload, tensors)}
        self.directory.mkdir(parents=True, exist_ok=True)
        staging = self.directory / f".tmp-{uuid.uuid4().hex[:12]}"
        staging.mkdir()
        try:
            save_file(tensors, str(staging / TENSORS))
            with open(staging / STATE, "w", encoding="utf-8") as stream:
                json.dump(tree, stream)
                stream.flush()
                os.fsync(stream.fileno())
            target = self.directory / f"{PREFIX}{name}"
            if target.exists():  # the same position written again after a resume: same contents
                shutil.rmtree(target)
            os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        for old in self.checkpoints()[:-self.keep]:
            shutil.rmtree(old, ignore_errors=True)
        return target

    def load_latest(self) -> dict | None:
        found = self.checkpoints()
        if not found:
            return None
        path = found[-1]
        try:
            tree = json.loads((path / STATE).read_text(encoding="utf-8"))
            tensors = load_file(str(path / TENSORS))
        except Exception as exc:  # safetensors raises several types for a damaged file
            raise ArtifactError(f"{path}: cannot read checkpoint: {exc}") from None
        if tree.get("format") != FORMAT or tree.get("format_version", 0) > FORMAT_VERSION:
            raise ArtifactError(f"{path}: not a textclass checkpoint this version can read")
        log.info("resuming from checkpoint %s", path)
        return unflatten(tree["payload"], tensors)

    def clear(self) -> None:
        """Removes the checkpoints folder (the run they served is saved); only textclass's own folder."""
        if self.directory.is_dir():
            shutil.rmtree(self.directory)
