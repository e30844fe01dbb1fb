"""Checks of a run's contents before anything is built from them.

Every malformed value becomes one ArtifactError that names the file, and no size read from a run is
allocated before it is checked: the model is first built on PyTorch's ``meta`` device (shapes only, no
memory) and compared tensor by tensor with the safetensors header (read without loading any data).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

from .errors import ArtifactError

if TYPE_CHECKING:
    import torch

# safetensors' names for torch dtypes, as its header spells them (torch's own names, so that this module imports
# without torch: the torch-free runtime checks n-gram feature files with it)
_DTYPE_NAMES = {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16", "int64": "I64",
                "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8", "bool": "BOOL"}
_DTYPES = {name: dtype for dtype, name in _DTYPE_NAMES.items()}


def _dtype_name(dtype) -> str:
    return _DTYPE_NAMES.get(str(dtype).removeprefix("torch."), str(dtype))
# The n-gram encoder allocates a 4-byte row index per bucket at load; 2**32 buckets (16 GiB) is beyond any
# run trained in practice (fitting counts buckets in an 8-byte array of that size).
MAX_NUM_BUCKETS = 2**32


def check_config(config: dict, path: Path) -> None:
    """The sections and types ``TextClassifier.load`` relies on."""
    absent = [key for key in ("model", "encoder", "training") if not isinstance(config.get(key), dict)]
    if absent:
        raise ArtifactError(f"{path}: no {', '.join(absent)} section; the file is damaged")
    for section in ("model", "encoder"):
        if not isinstance(config[section].get("name"), str):
            raise ArtifactError(f"{path}: {section}.name must be a string; the file is damaged")
        if not isinstance(config[section].get("params"), dict):
            raise ArtifactError(f"{path}: {section}.params must be an object; the file is damaged")
    if not isinstance(config.get("task", ""), str):
        raise ArtifactError(f"{path}: task must be a string; the file is damaged")
    if not isinstance(config.get("distributed", {}), dict):
        raise ArtifactError(f"{path}: distributed must be an object; the file is damaged")
    if not isinstance(config.get("augment"), (dict, type(None))):
        raise ArtifactError(f"{path}: augment must be an object or null; the file is damaged")
    best_epoch = config.get("best_epoch")
    if best_epoch is not None and (not isinstance(best_epoch, int) or isinstance(best_epoch, bool)):
        raise ArtifactError(f"{path}: best_epoch must be an integer or null; the file is damaged")


def check_labels(labels, path: Path) -> None:
    if not isinstance(labels, list) or not labels or not all(isinstance(label, str) for label in labels):
        raise ArtifactError(f"{path}: expected a list of label names")
    seen: set[str] = set()
    duplicates = sorted({label for label in labels if label in seen or seen.add(label)})
    if duplicates:
        raise ArtifactError(f"{path}: label {duplicates[0]!r} is listed twice; each output needs its own name")


def read_header(path: Path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Each tensor's dtype and shape in the safetensors file ``path``, without reading its data."""
    try:
        with safe_open(str(path), framework="numpy") as weights:
            return {name: (weights.get_slice(name).get_dtype(), tuple(weights.get_slice(name).get_shape()))
                    for name in weights.keys()}
    except Exception as exc:  # safetensors raises its own error type, and OSError, for damaged files
        raise ArtifactError(f"{path}: not a readable safetensors file ({exc})") from None


def build_model(build: Callable[[], "torch.nn.Module"], weights: Path) -> "torch.nn.Module":
    """``build()``, once its tensors on the meta device have matched those in ``weights`` in name, shape and
    dtype: a config.json whose sizes disagree with the weights fails here, before any memory is taken."""
    import torch

    header = read_header(weights)
    config = weights.parent / "config.json"
    try:
        with torch.device("meta"):
            skeleton = build()
    except ArtifactError:
        raise
    except Exception as exc:  # the model's own checks on bad settings (ConfigError, TypeError, RuntimeError ...)
        raise ArtifactError(f"{config}: the model cannot be built from its settings: {exc}") from None
    # Runs saved by earlier versions of a family hold what its upgrade_state_dict turns into today's weights.
    stored = {name: torch.empty(shape, dtype=getattr(torch, _DTYPES[dtype]), device="meta")
              for name, (dtype, shape) in header.items() if dtype in _DTYPES}
    unknown = sorted(set(header) - set(stored))
    if unknown:
        raise ArtifactError(f"{weights}: tensor {unknown[0]} has dtype {header[unknown[0]][0]}, which no model uses")
    try:
        upgraded = skeleton.upgrade_state_dict(stored)
    except Exception as exc:  # an upgrade meeting tensors it does not expect
        raise ArtifactError(f"{weights}: weights of an unexpected layout ({exc})") from None
    problems = _mismatches(skeleton, {name: (_dtype_name(t.dtype), tuple(t.shape)) for name, t in upgraded.items()})
    if problems:
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        raise ArtifactError(f"{weights} does not fit the model {config} describes: {'; '.join(problems[:3])}{more}")
    try:
        return build()
    except MemoryError:
        raise ArtifactError(f"{config}: not enough memory to build the model it describes") from None


def _mismatches(model: "torch.nn.Module", header: dict) -> list[str]:
    state = model.state_dict(keep_vars=True)
    problems = []
    for name, (dtype, shape) in header.items():
        tensor = state.get(name)
        if tensor is None:
            problems.append(f"{name} is not a tensor of this model")
        elif tuple(tensor.shape) != shape:
            problems.append(f"{name} is {list(shape)} in the file but {list(tensor.shape)} in the model")
        elif _dtype_name(tensor.dtype) != dtype:
            problems.append(f"{name} is {dtype} in the file but {_dtype_name(tensor.dtype)} in the model")
    # Tied tensors (one Parameter under two names) are stored once, as safetensors.save_model does.
    tied: dict[int, list[str]] = {}
    for name, tensor in state.items():
        tied.setdefault(id(tensor), []).append(name)
    problems += [f"{names[0]} is missing from the file" for names in tied.values()
                 if not any(name in header for name in names)]
    return problems


def ngram_features(path: Path, num_buckets) -> dict[str, np.ndarray]:
    """The n-gram encoder's file: kept bucket ids (and naive-Bayes weights, one per bucket), checked against
    ``num_buckets`` before the encoder sizes anything by it."""
    if isinstance(num_buckets, bool) or not isinstance(num_buckets, int) or not 1 <= num_buckets <= MAX_NUM_BUCKETS:
        raise ArtifactError(f"{path.parent}/config.json: num_buckets must be an integer from 1 to 2**32, "
                            f"got {num_buckets!r}")
    header = read_header(path)
    dtype, shape = header.get("buckets", (None, ()))
    if (not {"buckets"} <= set(header) <= {"buckets", "feature_weights"} or dtype != "I64" or len(shape) != 1
            or shape[0] > num_buckets):
        raise ArtifactError(f"{path}: expected a 1-d int64 tensor 'buckets' of at most num_buckets ({num_buckets}) "
                            "entries, and optionally its 'feature_weights'")
    if "feature_weights" in header and header["feature_weights"] != ("F32", shape):
        raise ArtifactError(f"{path}: 'feature_weights' must be float32 with one entry per bucket")
    arrays = load_file(str(path))
    buckets = arrays["buckets"]
    if len(buckets) and (buckets[0] < 0 or buckets[-1] >= num_buckets or np.any(np.diff(buckets) <= 0)):
        raise ArtifactError(f"{path}: the bucket ids are not increasing numbers below num_buckets ({num_buckets})")
    return arrays


def read_tensor(path: Path, name: str, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    """Tensor ``name`` of a safetensors file, once its header says it has this dtype and shape."""
    if read_header(path).get(name) != (dtype, shape):
        raise ArtifactError(f"{path}: expected a {dtype} tensor {name!r} of shape {list(shape)}")
    with safe_open(str(path), framework="numpy") as tensors:
        return tensors.get_tensor(name)
