"""`textclass predict RUN`: labels with confidences for texts on the command line or a whole file."""
from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from tqdm.auto import tqdm

from ..classifier import TextClassifier
from ..errors import ConfigError
from ..io import atomic_open
from ..runtime import BACKENDS, load_predictor

CHUNK = 8192  # texts encoded and predicted at a time, so memory stays flat on large files


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="predict labels with confidence",
                       description="Predict the label of each text and its confidence (softmax probability).")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `textclass train`")
    p.add_argument("texts", nargs="*", help="texts to classify (or use --input)")
    p.add_argument("--input", metavar="FILE", help="file of texts: .csv .tsv .jsonl, or .txt (fastText format "
                                                   "or one text per line); a label column, if any, is ignored")
    p.add_argument("--output", metavar="FILE", help="write predictions here (.csv or .jsonl) instead of stdout")
    p.add_argument("--text-column", metavar="NAME", help="column/key holding the text (default: text)")
    p.add_argument("--probabilities", action="store_true", help="add one column per label with its probability")
    p.add_argument("--batch-size", type=int, default=256, help="texts per batch (default 256)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, auto")
    p.add_argument("--backend", default="torch", choices=BACKENDS,
                   help="torch (default): the run itself; onnx: its export (see `textclass export`), or RUN may "
                        "be the exported folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if bool(args.texts) == bool(args.input):
        raise ConfigError("give either texts as arguments or --input FILE (not both)")
    clf = load_predictor(args.run_dir, args.backend)
    if args.input:
        from ..data import read_file

        texts = read_file(args.input, text_column=args.text_column, require_labels=False, allow_empty=True).texts
    else:
        texts = args.texts
    rows = _predict_rows(clf, texts, args)
    if args.output:
        _write(Path(args.output), rows)
        print(f"wrote {len(texts)} predictions to {args.output}")
    else:
        for row in rows:
            extra = "".join(f"\t{k}={v:.4f}" for k, v in row.items() if k.startswith("p_"))
            print(f"{row['label']}\t{row['confidence']:.4f}{extra}\t{_preview(row['text'])}")
    return 0


def _predict_rows(clf: TextClassifier, texts: list[str], args) -> list[dict]:
    rows = []
    bar = tqdm(total=len(texts), unit="text", unit_scale=True, disable=args.no_progress or len(texts) < CHUNK)
    for start in range(0, len(texts), CHUNK):
        chunk = texts[start : start + CHUNK]
        proba = clf.predict_proba(chunk, batch_size=args.batch_size, device=args.device)
        for text, p in zip(chunk, proba):
            best = int(p.argmax())
            row = {"text": text, "label": clf.labels_[best], "confidence": float(p[best])}
            if args.probabilities:
                row.update({f"p_{label}": float(v) for label, v in zip(clf.labels_, p)})
            rows.append(row)
        bar.update(len(chunk))
    bar.close()
    return rows


def _preview(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _write(path: Path, rows: list[dict]) -> None:
    """Temp file + rename: a crash mid-write never leaves a truncated predictions file."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise ConfigError(f"{path}: output must end in .csv or .jsonl")
    with atomic_open(path, newline="") as f:
        if suffix == ".csv":
            writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["text", "label", "confidence"])
            writer.writeheader()
            writer.writerows(rows)
        else:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
