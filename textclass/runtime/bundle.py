"""The exported folder's layout, shared by the exporter (which writes it) and the runtime (which reads it).

    DIR/export.json        what was exported, how, and the parity measured at export time
    DIR/model.onnx         the graph: inputs ``ids`` and ``lengths``, output ``probabilities`` [batch, labels]
    DIR/config.json        the run's configuration (the encoder's settings are read from it)
    DIR/labels.json        label names; column i of ``probabilities`` is label i
    DIR/vocab.json ...     the run's encoder files, whatever its encoder lists

Every graph takes ``ids`` [batch, length], each text's ids right-padded with ``pad_id``, and ``lengths``
[batch] (``input_format`` "padded", the only one so far).
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import ArtifactError

FORMAT = "textclass-onnx"
FORMAT_VERSION = 1
MANIFEST = "export.json"
MODEL_FILE = "model.onnx"
INPUTS = ("ids", "lengths")
OUTPUT = "probabilities"
DEFAULT_FOLDER = {"fp32": "onnx", "int8": "onnx-int8"}  # inside the run directory


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot read {path}: {exc}") from None


def read_bundle(directory: Path) -> tuple[dict, dict, list[str]]:
    """(manifest, run config, labels) of an exported folder, each checked enough to be used."""
    directory = Path(directory)
    for name in (MANIFEST, "config.json", "labels.json"):
        if not (directory / name).is_file():
            raise ArtifactError(f"{directory}: not a textclass ONNX export (missing {name})")
    manifest = read_json(directory / MANIFEST)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT \
            or not isinstance(manifest.get("format_version"), int) or manifest["format_version"] > FORMAT_VERSION:
        raise ArtifactError(f"{directory}/{MANIFEST}: not an export this textclass reads ({FORMAT} "
                            f"v{FORMAT_VERSION})")
    if manifest.get("input_format") != "padded" or not (directory / MODEL_FILE).is_file():
        raise ArtifactError(f"{directory}: {MANIFEST} or {MODEL_FILE} is damaged or missing")
    config = read_json(directory / "config.json")
    if not isinstance(config, dict) or not isinstance(config.get("encoder"), dict):
        raise ArtifactError(f"{directory}/config.json: no encoder section; the file is damaged")
    labels = read_json(directory / "labels.json")
    if not isinstance(labels, list) or not labels or not all(isinstance(label, str) for label in labels):
        raise ArtifactError(f"{directory}/labels.json: expected a list of label names")
    return manifest, config, labels


def find_export(directory) -> Path:
    """``directory`` itself when it is an exported folder, else the run's default fp32 export inside it."""
    directory = Path(directory)
    if (directory / MANIFEST).is_file():
        return directory
    inside = directory / DEFAULT_FOLDER["fp32"]
    if (inside / MANIFEST).is_file():
        return inside
    if not directory.is_dir():
        raise ArtifactError(f"{directory}: no such run or export directory")
    raise ArtifactError(f"{directory}: no ONNX export here or in {inside}; export the run first "
                        f"(textclass export {directory} --format onnx)")
