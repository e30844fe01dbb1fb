"""A run directory: everything needed to rebuild a predictor, with no pickle anywhere.

    RUN/config.json        model, encoder and training configuration (plain JSON)
    RUN/labels.json        label names; index i is the model's output i
    RUN/vocab.json ...     the encoder's files (whatever its ``files`` lists)
    RUN/model.safetensors  weights
    RUN/metrics.json       the evaluation report, when one was made
    RUN/history.json       per-epoch training figures

Saving writes a sibling temporary directory and renames it into place, so an interrupted save leaves
either the previous run or the new one, never a mixture.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from safetensors.torch import load_file, save_model

from .errors import ArtifactError
from .io import write_json

FORMAT = "textclass-run"
# 2: the ngram encoder keeps its naive-Bayes weights in its own file, no longer in model.safetensors.
FORMAT_VERSION = 2
REQUIRED = ("config.json", "labels.json", "model.safetensors")
CONFIG_KEYS = ("model", "encoder", "training")  # sections config.json must have


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot read {path}: {exc}") from None


def save_run(directory, *, config: dict, labels: list[str], encoder, model, extra_json: dict | None = None) -> Path:
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".partial", dir=directory.parent))
    try:
        write_json(staging / "config.json", {"format": FORMAT, "format_version": FORMAT_VERSION, **config})
        write_json(staging / "labels.json", labels)
        encoder.save(staging)
        model.save_files(staging)  # e.g. a transformer's architecture config, to rebuild it offline
        save_model(model, str(staging / "model.safetensors"))
        for name, obj in (extra_json or {}).items():
            write_json(staging / name, obj)
        # mkdtemp makes a private directory and safetensors a private file; a run is meant to be shared.
        os.chmod(staging, 0o755)
        os.chmod(staging / "model.safetensors", 0o644)
        _replace_dir(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return directory


def check_target(directory) -> None:
    """Raise ArtifactError if ``save_run`` would refuse ``directory``: a file, or a folder holding something
    other than a run. Callers check before training, so that the refusal does not come after the work."""
    target = Path(directory)
    if target.exists() and (not target.is_dir() or (not (target / "config.json").exists() and any(target.iterdir()))):
        raise ArtifactError(f"{target} exists and is not a textclass run; refusing to overwrite it")


def _replace_dir(new: Path, target: Path) -> None:
    if not target.exists():
        os.replace(new, target)
        return
    check_target(target)
    retired = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, retired)
    os.replace(new, target)
    shutil.rmtree(retired, ignore_errors=True)


def read_run(directory) -> tuple[Path, dict, list[str]]:
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactError(f"{directory}: no such run directory")
    missing = [name for name in REQUIRED if not (directory / name).is_file()]
    if missing:
        raise ArtifactError(f"{directory}: not a complete textclass run (missing {', '.join(missing)})")
    config = read_json(directory / "config.json")
    if not isinstance(config, dict):
        config = {}
    if config.get("format") != FORMAT or config.get("format_version", 0) > FORMAT_VERSION:
        raise ArtifactError(f"{directory}: run format {config.get('format')!r} v{config.get('format_version')} "
                            f"is not readable by this textclass (reads {FORMAT} v{FORMAT_VERSION})")
    absent = [key for key in CONFIG_KEYS if not isinstance(config.get(key), dict)]
    if absent:
        raise ArtifactError(f"{directory}/config.json: no {', '.join(absent)} section; the file is damaged")
    labels = read_json(directory / "labels.json")
    if not isinstance(labels, list) or not labels or not all(isinstance(label, str) for label in labels):
        raise ArtifactError(f"{directory}/labels.json: expected a list of label names")
    return directory, config, labels


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
