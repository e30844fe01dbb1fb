"""`textclass predict RUN`: labels with confidences for texts on the command line, or a file or pipe streamed."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from ..calibration import UNCERTAIN
from ..collation import PREDICT_BATCH_SIZE
from ..errors import ConfigError
from ..inference import INPUT_FORMATS, OUTPUT_FORMATS, predict_file, predict_rows
from ..runtime import BACKENDS, Predictor, load_predictor

log = logging.getLogger("textclass")


def add_parser(sub) -> None:
    p = sub.add_parser("predict", help="predict labels with confidence",
                       description="Predict the label of each text and its confidence (softmax probability). "
                                   "A file or pipe is streamed in chunks: memory does not grow with its size. "
                                   "Every input column is kept, followed by label, confidence and empty (true "
                                   "when the text is empty or whitespace only: its label means nothing).")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `textclass train`")
    p.add_argument("texts", nargs="*", help="texts to classify (or use --input)")
    p.add_argument("--input", metavar="FILE", help="file of texts, or - for stdin: .csv .tsv .jsonl, or .txt (one "
                                                   "text per line); stdin is read as one text per line unless "
                                                   "--format says otherwise")
    p.add_argument("--output", metavar="FILE", default="-",
                   help="where the predictions go: a .csv .tsv .jsonl or .txt (labels only) file, written "
                        "atomically, or - for stdout (default); on stdout the format is the input's (JSON Lines "
                        "for plain-line input) unless --output-format says otherwise")
    p.add_argument("--format", dest="input_format", choices=INPUT_FORMATS, help="input format (default: from the "
                                                                                  "suffix; lines for stdin)")
    p.add_argument("--output-format", choices=OUTPUT_FORMATS, help="output format (default: from the suffix)")
    p.add_argument("--overwrite", action="store_true", help="replace --output if it exists (refused otherwise)")
    p.add_argument("--text-column", metavar="NAME", help="column/key holding the text (default: the column the run "
                                                         "was trained on if the input has it, else text)")
    p.add_argument("--top-k", type=int, default=0, metavar="K",
                   help="add the K most probable labels with their probabilities (top1_label, top1_probability ...)")
    p.add_argument("--probabilities", action="store_true", help="add one column per label with its probability "
                                                                "(p_LABEL)")
    p.add_argument("--digits", type=int, default=4, metavar="N",
                   help="significant digits of the written probabilities (default 4; 17 keeps every digit)")
    p.add_argument("--prefix", default="", metavar="TEXT",
                   help="put TEXT before the prediction's column names, for inputs that already have a label "
                        "column (e.g. --prefix pred_)")
    p.add_argument("--abstain-below", type=float, metavar="P",
                   help=f"label a text {UNCERTAIN!r} when the (calibrated) probability of its label is under P")
    p.add_argument("--batch-size", type=int,
                   help=f"texts per model batch (default: the model's choice: {PREDICT_BATCH_SIZE} for most, more for "
                        "ngram with few classes)")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, auto")
    p.add_argument("--backend", default="torch", choices=BACKENDS,
                   help="torch (default): the run itself; onnx: its export (see `textclass export`), or RUN may "
                        "be the exported folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (shown only when stderr is a terminal)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if bool(args.texts) == bool(args.input):
        raise ConfigError("give either texts as arguments or --input FILE (not both)")
    if args.input and args.output != "-" and Path(args.output).exists() and not args.overwrite:
        raise ConfigError(f"{args.output} already exists; pass --overwrite to replace it")
    clf = load_predictor(args.run_dir, args.backend)
    if not args.input:
        return _print_texts(clf, args)
    try:
        summary = predict_file(clf, args.input, args.output, input_format=args.input_format,
                               output_format=args.output_format, text_column=args.text_column, top_k=args.top_k,
                               probabilities=args.probabilities, digits=args.digits, prefix=args.prefix,
                               overwrite=args.overwrite, batch_size=args.batch_size, device=args.device,
                               progress=not args.no_progress and sys.stderr.isatty(),
                               abstain_below=args.abstain_below)
    except BrokenPipeError:  # `... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    if args.output != "-":
        print(f"wrote {summary.rows} predictions to {args.output} ({summary.output_format}, text column "
              f"{summary.text_column!r})")
    return 0


def _print_texts(clf: Predictor, args: argparse.Namespace) -> int:
    """One human-readable line per text: label, confidence, [top-k, probabilities,] the text's start."""
    rows = predict_rows(clf, args.texts, top_k=args.top_k, probabilities=args.probabilities, digits=args.digits,
                        batch_size=args.batch_size, device=args.device, abstain_below=args.abstain_below)
    shown = [name for name in rows[0] if name not in ("label", "confidence", "labels", "confidences", "empty")]
    for text, row in zip(args.texts, rows):
        extra = "".join(f"\t{name}={row[name]}" for name in shown)
        if "labels" in row:  # multi-label: each chosen label with its own probability
            chosen = " ".join(f"{label}={p}" for label, p in zip(row["labels"], row["confidences"]))
            predicted = chosen or "(no label)"
        else:
            predicted = f"{row['label']}\t{row['confidence']}"
        print(f"{predicted}{extra}\t{'<empty text>' if row['empty'] else _preview(text)}")
    empty = sum(row["empty"] for row in rows)
    if empty:
        log.warning("%d of %d texts are empty or whitespace only: their labels mean nothing", empty, len(rows))
    return 0


def _preview(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
