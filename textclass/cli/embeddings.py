"""`textclass embeddings train`: in-domain word vectors from unlabeled text, for `train --embeddings PATH`."""
from __future__ import annotations

import argparse

from ..errors import ConfigError


def add_parser(sub) -> None:
    p = sub.add_parser("embeddings", help="train word vectors for --embeddings",
                       description="Word vectors for the embedding layer of bilstm, bilstm_attn and cnn.")
    commands = p.add_subparsers(dest="embeddings_command", required=True, metavar="COMMAND")
    t = commands.add_parser("train", help="train word2vec or fastText vectors on unlabeled text (needs gensim)",
                            description="Train skip-gram word vectors on texts tokenized as the classifier "
                                        "tokenizes them, and write word2vec's text format (.bin: binary; .gz: "
                                        "compressed). Labels in the input, if any, are ignored.")
    t.add_argument("--out", required=True, metavar="PATH", help="vectors file to write, e.g. imdb.vec")
    g = t.add_argument_group("data (--data, --train or both)")
    g.add_argument("--data", metavar="NAME", help="a built-in source (see `textclass datasets`), e.g. imdb")
    g.add_argument("--split", default="train", metavar="S[,S...]",
                   help="its split(s), comma-separated, e.g. unsup or unsup,train (default train)")
    g.add_argument("--data-dir", metavar="DIR", help="where built-in sources are found or downloaded")
    g.add_argument("--train", action="append", default=[], metavar="FILE",
                   help="a text file (.csv .tsv .jsonl, or .txt with one text per line); repeatable")
    g.add_argument("--text-column", metavar="NAME", help="column/key holding the text (default: text)")
    g.add_argument("--limit", type=int, metavar="N", help="use a seeded random sample of N texts")
    v = t.add_argument_group("vectors")
    v.add_argument("--algorithm", default="word2vec", choices=("word2vec", "fasttext"),
                   help="skip-gram word2vec, or fastText (adds character n-grams) (default word2vec)")
    v.add_argument("--dim", type=int, default=100, help="vector size; pass the same --embedding-dim to "
                                                        "`textclass train` (default 100)")
    v.add_argument("--epochs", type=int, default=5, help="passes over the texts (default 5)")
    v.add_argument("--window", type=int, default=5, help="context words on each side (default 5)")
    v.add_argument("--min-count", type=int, default=5, help="ignore rarer words (default 5)")
    v.add_argument("--tokenizer", default="default", help="tokenizer; use the classifier's (default: default)")
    v.add_argument("--workers", type=int, help="training threads (default: all cores)")
    v.add_argument("--seed", type=int, default=0, help="seed for sampling and initialisation (default 0)")
    t.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    from ..data import TextDataset, load_source, read_file, stratified_subsample
    from ..text.train_vectors import train_vectors

    if not args.data and not args.train:
        raise ConfigError("no texts: give --data NAME (with --split) or --train FILE")
    sets = [read_file(path, text_column=args.text_column, skip_empty=True, require_labels=False)
            for path in args.train]
    if args.data:
        sets += [load_source(args.data, split.strip(), data_dir=args.data_dir) for split in args.split.split(",")]
    texts = TextDataset([text for ds in sets for text in ds.texts], origin=" + ".join(ds.origin for ds in sets))
    if args.limit is not None:
        texts = stratified_subsample(texts, args.limit, args.seed)
    out = train_vectors(texts.texts, args.out, algorithm=args.algorithm, dim=args.dim, epochs=args.epochs,
                        window=args.window, min_count=args.min_count, tokenizer=args.tokenizer,
                        workers=args.workers, seed=args.seed)
    print(f"wrote {out}; use it with: textclass train ... --embeddings {out} --embedding-dim {args.dim}")
    return 0
