"""Choosing the splits of a job from a built-in source name and/or files: what the CLI's data flags mean."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from ..errors import ConfigError
from .dataset import TextDataset

log = logging.getLogger("textclass.data")


@dataclass
class DataSplits:
    train: TextDataset | None = None
    valid: TextDataset | None = None
    test: TextDataset | None = None


def load_splits(data: str | None = None, *, train=None, valid=None, test=None, data_dir=None,
                text_column: str | None = None, label_column: str | None = None, skip_empty: bool = False,
                limit: int | None = None, seed: int = 0, need_train: bool = True,
                test_split: str = "test", progress: bool = True, label_separator: str | None = None) -> DataSplits:
    """Files override a built-in source's splits; ``limit`` samples each split (stratified, seeded).

    The validation split is left ``None`` unless given: hold-out from train is the classifier's job, so
    that the API and the CLI make the same split.
    """
    from .files import read_file
    from .registry import load_source
    from .splits import stratified_subsample

    if data is None and need_train and train is None:
        raise ConfigError("no training data: give data=NAME (a built-in source) or train=FILE")
    if data is None and not need_train and test is None:
        raise ConfigError("no evaluation data: give data=NAME (with its split=) or test=FILE")

    def read(path, role):
        if path is None:
            return None
        return read_file(path, text_column=text_column, label_column=label_column, skip_empty=skip_empty,
                         label_separator=label_separator)

    splits = DataSplits(train=read(train, "train") if need_train else None, valid=read(valid, "valid"),
                        test=read(test, "test"))
    if data is not None:
        if need_train and splits.train is None:
            splits.train = load_source(data, "train", data_dir=data_dir, progress=progress)
        if splits.test is None:
            splits.test = load_source(data, test_split, data_dir=data_dir, progress=progress)
    if limit is not None:
        if limit < 1:
            raise ConfigError(f"limit={limit} is too small: a split needs at least 1 text")
        for role in ("train", "valid", "test"):
            ds = getattr(splits, role)
            if ds is not None and len(ds) > limit:
                setattr(splits, role, stratified_subsample(ds, limit, seed))
                log.info("%s: using a stratified sample of %d of %d texts (limit)", role, limit, len(ds))
    return splits
