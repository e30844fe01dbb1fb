"""`textclass explain RUN TEXT...`: which tokens (and, for ngram, which n-grams) drove each prediction."""
from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub) -> None:
    p = sub.add_parser("explain", help="per-token contributions to a prediction",
                       description="Explain predictions: exact n-gram contributions for ngram, attention for "
                                   "bilstm_attn, Integrated Gradients (needs captum) for bilstm, cnn, transformer. "
                                   "Green tokens support the predicted label, red ones count against it.")
    p.add_argument("run_dir", metavar="RUN", help="run directory written by `textclass train`")
    p.add_argument("texts", nargs="+", help="texts to explain")
    p.add_argument("--json", action="store_true", help="print one JSON object per text instead")
    p.add_argument("--no-color", action="store_true", help="no colours (the default when stdout is not a terminal)")
    p.add_argument("--top", type=int, default=10, help="n-grams or tokens listed per text (default 10)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..classifier import TextClassifier
    from ..explain import explain_texts
    from ..explain.render import render

    explanations = explain_texts(TextClassifier.load(args.run_dir), args.texts)
    if args.json:
        for explanation in explanations:
            print(json.dumps(explanation.to_dict(), ensure_ascii=False))
        return 0
    color = sys.stdout.isatty() and not args.no_color
    print("\n\n".join(render(explanation, color=color, top=args.top) for explanation in explanations))
    return 0
