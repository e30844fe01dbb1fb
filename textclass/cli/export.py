"""`textclass export RUN --format onnx [--quantize int8]`: a folder that predicts without PyTorch."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import ArtifactError
from ..runtime.bundle import DEFAULT_FOLDER, MANIFEST, MODEL_FILE


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="export a run to ONNX for prediction without PyTorch",
                       description="Export a trained run to ONNX: a folder holding the graph, the run's labels, "
                                   "configuration and encoder files, from which `textclass predict --backend "
                                   "onnx` (or textclass.runtime.OnnxPredictor) predicts with onnxruntime. The "
                                   "export is checked against the PyTorch model before it is kept.")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `textclass train`")
    p.add_argument("--format", default="onnx", choices=["onnx"], help="export format (default onnx)")
    p.add_argument("--quantize", choices=["int8"],
                   help="int8 weights (onnxruntime dynamic quantization): about a quarter of the size, slightly "
                        "different probabilities")
    p.add_argument("--out", metavar="DIR", help=f"folder to write (default: RUN/{DEFAULT_FOLDER['fp32']}, or "
                                                f"RUN/{DEFAULT_FOLDER['int8']} with --quantize int8)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier export in that folder")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..export import export_onnx

    target = Path(args.out) if args.out else Path(args.run_dir) / DEFAULT_FOLDER[args.quantize or "fp32"]
    if (target / MANIFEST).is_file() and not args.overwrite:
        raise ArtifactError(f"{target} already holds an export; add --overwrite to replace it")
    folder = export_onnx(args.run_dir, target, quantize=args.quantize, overwrite=args.overwrite)
    check = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["check"]
    size = (folder / MODEL_FILE).stat().st_size / 1e6
    print(f"wrote {folder} ({MODEL_FILE} {size:.1f} MB); on {check['texts']} check texts the largest probability "
          f"difference from the PyTorch model is {check['max_abs_diff']:.1e}, labels agree on "
          f"{100 * check['labels_agree']:.0f}%")
    return 0
