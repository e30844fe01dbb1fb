"""A run -> a self-contained folder that onnxruntime predicts from (see ``textclass.runtime.bundle``).

The graph is traced by PyTorch's ``torch.export``-based ONNX exporter (``dynamo=True``), with the batch and the
length (or total ids) axes dynamic. The TorchScript exporter (``dynamo=False``) was tried first: it exports
the recurrent models, but it records Python arithmetic on shapes as constants, so the cnn's widening of
batches shorter than its widest filter was frozen at the example's length and failed on other lengths; the
dynamo exporter keeps such arithmetic symbolic and handles every family.

Every export is checked before it is kept: the folder's own predictor (``textclass.runtime``) and the PyTorch
model predict the same texts, and an fp32 graph whose probabilities differ by more than ``tolerance`` is
refused. int8 graphs (onnxruntime's dynamic quantization: int8 weights, activations quantized per call)
change the numbers by design, so their largest difference and label agreement are recorded, not enforced.
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..classifier import PREDICT_BATCH_SIZE, TextClassifier
from ..errors import ArtifactError, ConfigError
from ..io import _umask, write_json
from ..runtime.bundle import (DEFAULT_FOLDER, FORMAT, FORMAT_VERSION, INPUTS, MANIFEST, MODEL_FILE, OUTPUT,
                              read_json)
from .graphs import graph_for
from .quantization import quantize_int8, recipe_for

log = logging.getLogger("textclass.export")

QUANTIZATIONS = ("int8",)
TOLERANCE = 1e-4
# Texts of very different lengths, one word to several hundred, so the check crosses both dynamic axes.
PROBE_TEXTS = (
    "good",
    "",
    "This movie was absolutely fantastic, the acting was superb!",
    "Terrible. I want my money back and my two hours too.",
    "I lost my card yesterday, how do I block it and get a new one?",
    "The transfer has not arrived in my account after three days; what is going on?",
    " ".join(["A slow, thoughtful film that rewards patience; the score is lovely but the plot drags."] * 30),
    "meh",
)


def export_onnx(run_dir, out_dir=None, *, quantize: str | None = None, overwrite: bool = False,
                check_texts: Sequence[str] | None = None, tolerance: float = TOLERANCE) -> Path:
    """Export the run at ``run_dir`` to ONNX; returns the folder written.

    ``out_dir`` defaults to ``run_dir/onnx`` (``run_dir/onnx-int8`` with ``quantize="int8"``). An existing
    export there is replaced only with ``overwrite=True``; anything else there is never replaced.
    ``check_texts`` are added to the built-in texts the export is checked on.
    """
    if quantize not in (None, *QUANTIZATIONS):
        raise ConfigError(f"quantize must be one of {', '.join(QUANTIZATIONS)} or None; got {quantize!r}")
    precision = quantize or "fp32"
    run_dir = Path(run_dir)
    target = Path(out_dir) if out_dir is not None else run_dir / DEFAULT_FOLDER[precision]
    _check_target(target, overwrite)
    clf = TextClassifier.load(run_dir)
    if clf.multi_label:  # its graph would end in per-label sigmoids, and predict() needs its thresholds
        raise ConfigError(f"{run_dir}: ONNX export covers single-label runs so far; this run is multi-label")
    graph = graph_for(clf.model_)
    texts = list(PROBE_TEXTS) + list(check_texts or ())
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp's folder is private; an export is meant to be shipped
        with _quiet_exporters():
            _trace(graph, staging / MODEL_FILE)
            quantization = _quantize(staging / MODEL_FILE, clf.model_.registry_name) if quantize else None
        for name in ("config.json", "labels.json", "metrics.json"):  # metrics: the model's test report, if made
            if name != "metrics.json" or (run_dir / name).is_file():
                shutil.copyfile(run_dir / name, staging / name)
        clf.encoder_.save(staging)
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "model_file": MODEL_FILE,
            "model": read_json(run_dir / "config.json")["model"]["name"], "precision": precision,
            "input_format": "padded", "pad_id": clf._pad_id(), "inputs": list(INPUTS),
            "output": OUTPUT, "batch_size": PREDICT_BATCH_SIZE,
            "batch_positions": graph.batch_positions(),
            "opset": _opset(staging / MODEL_FILE), "source_run": str(run_dir.resolve()),
            **({"quantization": quantization} if quantization else {}),
            "exported_with": _versions(),
        }
        write_json(staging / MANIFEST, manifest)
        manifest["check"] = _check(clf, staging, texts, precision, tolerance)
        write_json(staging / MANIFEST, manifest)
        _replace(staging, target, overwrite)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


@contextlib.contextmanager
def _quiet_exporters():
    """Silence the exporter's and the quantizer's notes (deprecations inside torch, torchvision ops it skips,
    advice to pre-process): none of them is about the user's model or something the user could change."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(logging.NOTSET)


def _check_target(target: Path, overwrite: bool) -> None:
    if not target.exists():
        return
    if not target.is_dir() or not (target / MANIFEST).is_file():
        raise ArtifactError(f"{target} exists and is not a textclass ONNX export; refusing to replace it")
    if not overwrite:
        raise ArtifactError(f"{target} already holds an export; pass overwrite=True to replace it")


def _replace(staging: Path, target: Path, overwrite: bool) -> None:
    _check_target(target, overwrite)  # again: something may have appeared there while the export ran
    if not target.exists():
        os.replace(staging, target)
        return
    retired = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, retired)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)


def _trace(graph: torch.nn.Module, path: Path) -> None:
    # Sizes 0 and 1, and sizes equal to each other, would be specialised by the tracer: two texts of 7 and 4.
    example = torch.zeros((2, 7), dtype=torch.int64), torch.tensor([7, 4])  # id 0 exists in every table
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length")
    # torch's exporter swaps in an LSTM decomposition that keeps the length dynamic by editing the op's kernel
    # table without clearing its dispatch cache, so a second export in one process would reuse the kernel
    # cached by the first and unroll the recurrence over the example's length. Clearing the cache avoids that.
    for op in (torch.ops.aten.lstm.input, torch.ops.aten.gru.input):
        getattr(op, "_dispatch_cache", {}).clear()
    progress = io.StringIO()
    try:
        # The exporter prints its progress on stdout, which belongs to the command's results.
        with contextlib.redirect_stdout(progress), torch.no_grad():
            torch.onnx.export(graph, example, str(path), dynamo=True, external_data=False,
                              input_names=list(INPUTS), output_names=[OUTPUT],
                              dynamic_shapes={"ids": {0: batch, 1: length}, "lengths": {0: batch}})
    except Exception as exc:  # the exporter's many error types; the message says which operation failed
        log.debug("exporter output:\n%s", progress.getvalue())
        raise ArtifactError(f"cannot export model {getattr(graph, 'model', graph).registry_name} to ONNX: "
                            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from exc
    _require_dynamic_axes(path)


def _require_dynamic_axes(path: Path) -> None:
    """A graph whose input sizes were frozen at the example's would fail on every other batch; refuse it."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    fixed = [f"{tensor.name}[{axis}]" for tensor in graph.input
             for axis, dim in enumerate(tensor.type.tensor_type.shape.dim) if not dim.dim_param]
    if fixed:
        raise ArtifactError(f"the exporter fixed the size of {', '.join(fixed)} at the example's; the graph "
                            "would only accept batches of that size")


def _quantize(path: Path, model_name: str) -> dict:
    """The graph at ``path`` replaced by its int8 version, by the family's recipe; returns what was done."""
    fp32 = path.with_name("model.fp32.onnx")
    os.replace(path, fp32)
    done = quantize_int8(fp32, path, recipe_for(model_name))
    fp32.unlink()
    return done


def _check(clf, folder: Path, texts: list[str], precision: str, tolerance: float) -> dict:
    from ..runtime import OnnxPredictor

    expected = clf.predict_proba(texts)
    got = OnnxPredictor(folder).predict_proba(texts)
    worst = float(np.abs(got - expected).max())
    agree = float((got.argmax(1) == expected.argmax(1)).mean())
    if precision == "fp32" and not worst <= tolerance:
        raise ArtifactError(f"the ONNX graph's probabilities differ from the PyTorch model's by {worst:.2e} "
                            f"(> tolerance {tolerance:g}) on the check texts; the export was not kept")
    log.info("export check on %d texts: largest probability difference %.2e, labels agree on %.1f%%",
             len(texts), worst, 100 * agree)
    return {"texts": len(texts), "max_abs_diff": worst, "labels_agree": agree, "against": "torch fp32"}


def _opset(path: Path) -> int:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return next(entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx"))


def _versions() -> dict:
    import onnx
    import onnxruntime

    return {"torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}
