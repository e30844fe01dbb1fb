"""The public API: ``TextClassifier``, an estimator in the scikit-learn sense.

Everything configurable is a constructor argument, stored as given; ``fit`` learns the label set, the
encoder (vocabulary) and the weights; ``save``/``load`` round-trip all of it through a run directory.
Prediction is preprocess (encode) -> forward (batched logits) -> postprocess (softmax, label names).

Multi-label data (a set of labels per text, ``TextDataset.label_sets``) makes a multi-label classifier: one
sigmoid per label trained with binary cross-entropy, a decision threshold per label tuned on validation,
``predict`` returning a list of labels per text and ``predict_proba`` each label's own probability.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch

from . import artifact, artifact_checks, calibration
from .augment import resolve as resolve_augmentation
from .batching import EncodedSplit, iterate_batches
from .collation import PREDICT_BATCH_SIZE
from .data import TextDataset, stratified_split
from .data.splits import stratified_heldout
from .data.stream import StreamScan, TextStream
from .data.dataset import check_texts
from .data.shape import DataShape
from .errors import ArtifactError, ConfigError, DataError
from .evaluation import apply_thresholds, classification_report, multilabel_report, tune_thresholds
from .evaluation.label_thresholds import DEFAULT_THRESHOLD
from .evaluation.calibration_metrics import ECE_BINS, calibration_scores, coverage_curve
from .models import DEFAULT_MODEL, MODELS, model_hyperparameters
from .models.base import TextModel, TokenAttention
from .registry import constructor_defaults
from .text import ENCODERS, build_encoder, load_encoder
from .text.base import Encoder, StreamingEncoder
from .text.stream_encode import encode_to_disk, ids_folder, training_texts
from .training.balance import AUTO_MIN_EXAMPLES, AUTO_MIN_IMBALANCE, choose_shift, class_offsets
from .training import OPTIONS, TrainingConfig, check_option, predict_logits, resolve_device, train_model
from .training.objectives import OBJECTIVES, MultiLabel, objective_for

log = logging.getLogger("textclass")


def _as_dataset(data, what: str) -> TextDataset:
    if isinstance(data, TextDataset):
        return data
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], str):
        texts, labels = data
        return TextDataset.from_lists(texts, labels, origin=what)
    return TextDataset.from_pairs(data, origin=what)


@dataclass
class Evaluation:
    """A report with what it was computed from: the data and the model's raw logits for it."""

    report: dict
    data: TextDataset
    logits: np.ndarray
    y_true: np.ndarray


def dataset_fingerprint(data: TextDataset) -> str:
    """sha256 of the texts and labels in order: two runs' predictions pair up only on the same test set."""
    digest = hashlib.sha256()
    for text, label in zip(data.texts, data.labels or [""] * len(data)):
        digest.update(text.encode("utf-8", "replace") + b"\0" + str(label).encode("utf-8") + b"\n")
    return digest.hexdigest()


class TextClassifier:
    """Train, evaluate and apply a text classifier.

    >>> clf = TextClassifier(model="bilstm", epochs=1, hidden_dim=64)
    >>> clf.fit(train_pairs).predict(["what a film!"])

    Keywords are of two kinds, told apart by name:
    - training options, every field of ``textclass.training.TrainingConfig`` (``epochs``, ``batch_size``, ``lr``,
      ``lr_schedule``, ``patience``, ``monitor``, ``valid_fraction``, ``seed``, ``device`` ...); left unset (or
      None) they take the model family's ``training_defaults``, else TrainingConfig's own defaults;
    - the model's hyperparameters and its encoder's settings (``hidden_dim``, ``max_len``, ``tokenizer``,
      ``vocab_size`` ...): ``TextClassifier.hyperparameters("bilstm")`` lists them.
    ``augment`` (off by default) adds variants of the training texts, never of validation or test ones:
    ``{"method": "eda", "copies": 2, "alpha": 0.1, "vectors": "imdb.vec"}``, or an augmenter object such as
    ``BackTranslation(translate)``, which config.json records by description only (see textclass.augment).
    ``get_params``/``set_params`` follow scikit-learn, so ``TextClassifier(**clf.get_params())`` is a clone.
    Two training options concern confidences (see textclass.calibration): ``calibrate`` (on by default) fits a
    softmax temperature on the validation split, which every probability then uses
    (``predict_proba(calibrate=False)`` gives the raw ones); ``threshold_objective`` (two-class tasks:
    ``"f1"``, ``"precision:0.95"``, ``"recall:0.9"``) tunes the decision threshold on the second label's
    probability on validation, where by default the most probable label wins.
    """

    # Where the training texts and labels came from ({"text_column": ..., "label_column": ...}), saved in
    # config.json so that prediction on files of the same shape finds the text column by itself.
    data_columns: dict | None = None

    def __init__(self, model: str = DEFAULT_MODEL, *, augment=None, **settings):
        self.model = model
        self.augment = augment
        self.options: dict = {}  # training options given explicitly; the rest come from the model's defaults
        self.params: dict = {}  # the model's and its encoder's hyperparameters
        # Settings fit chose from the data because they were left unset: {name: {"value", "why"}}.
        self.defaults_: dict = {}
        self.set_params(**settings)
        # Learned by fit (or read by load); None until then.
        self.labels_: list[str] | None = None
        self.encoder_: Encoder | None = None
        self.model_: TextModel | None = None
        self.history_: list[dict] = []
        self.best_epoch_: int | None = None
        self.temperature_: float = 1.0
        self.calibration_: dict = {"temperature": 1.0, "fitted_on": None}
        self.decision_: dict | None = None  # the tuned two-class threshold, when one was asked for
        self.data_summary_: dict | None = None

    # -- configuration --------------------------------------------------------------------------------
    @staticmethod
    def hyperparameters(model: str) -> dict:
        """Defaults of every setting ``model`` accepts as a keyword: its own and its encoder's."""
        cls = MODELS.get(model)
        encoder_cls = ENCODERS.get(cls.encoder["name"])
        return {**constructor_defaults(encoder_cls), **cls.encoder.get("params", {}), **model_hyperparameters(model)}

    def get_params(self, deep: bool = True) -> dict:
        """Every setting as given (training options left unset are None), in scikit-learn's form."""
        return {"model": self.model, "augment": self.augment,
                **{name: self.options.get(name) for name in OPTIONS}, **self.params}

    def set_params(self, **settings) -> "TextClassifier":
        """Change settings; checked at once, so a wrong name or value fails here rather than after reading data."""
        if "model" in settings:
            self.model = settings.pop("model")
        if "augment" in settings:
            self.augment = settings.pop("augment")
        options = {**self.options, **{k: v for k, v in settings.items() if k in OPTIONS}}
        params = {**self.params, **{k: v for k, v in settings.items() if k not in OPTIONS}}
        # None means "not set": the model family's default applies again.
        options = {k: v for k, v in options.items() if v is not None}
        params = {k: v for k, v in params.items() if v is not None}
        for name, value in options.items():
            check_option(name, value)
        self.options, self.params = options, params
        self._split_params()
        self.training_config()
        resolve_augmentation(self.augment)
        return self

    def _split_params(self) -> tuple[dict, dict]:
        cls = MODELS.get(self.model)
        model_keys = model_hyperparameters(self.model)
        encoder_keys = constructor_defaults(ENCODERS.get(cls.encoder["name"]))
        unknown = sorted(set(self.params) - set(model_keys) - set(encoder_keys))
        if unknown:
            known = ", ".join(sorted(set(model_keys) | set(encoder_keys) | set(OPTIONS)))
            raise ConfigError(f"model {self.model!r} has no parameter {', '.join(unknown)}; it accepts: {known}")
        # Every hyperparameter is resolved and stored, so a run does not depend on later default changes.
        chosen = {k: d["value"] for k, d in self.defaults_.items()}
        model_params = {**model_keys, **{k: v for k, v in {**chosen, **self.params}.items() if k in model_keys}}
        encoder_params = {**cls.encoder.get("params", {}),
                          **{k: v for k, v in {**chosen, **self.params}.items() if k in encoder_keys}}
        return model_params, {"name": cls.encoder["name"], "params": encoder_params}

    def training_config(self, task: str = "single_label") -> TrainingConfig:
        """Explicit options, else what fit chose from the data, else the model family's own defaults, else
        TrainingConfig's.

        A multi-label task keeps the epoch with the best validation macro F1 unless ``monitor`` says otherwise:
        TrainingConfig's default, accuracy, would be subset accuracy there, which rewards predicting the
        commonest single label."""
        task_defaults = {"monitor": "macro_f1"} if task == "multi_label" else {}
        chosen = {k: d["value"] for k, d in self.defaults_.items() if k in OPTIONS}
        return TrainingConfig(**{**MODELS.get(self.model).training_defaults, **task_defaults, **chosen,
                                 **self.options})

    def _build_model(self, model_params: dict, run_dir: Path | None = None) -> TextModel:
        """The one path from configuration to model, for ``fit`` and ``load`` alike (``run_dir`` when loading)."""
        cls = MODELS.get(self.model)
        args = {"num_classes": len(self.labels_), **self.encoder_.model_args(), **model_params}
        if run_dir is not None:
            args.update(cls.run_args(run_dir))
        try:
            return cls(**args)
        except (ValueError, TypeError) as exc:  # torch's own checks: hidden_dim 0, dropout 1.5 ...
            raise ConfigError(f"model {MODELS.canonical(self.model)!r} rejects its settings: {exc}") from exc

    # -- fitting ------------------------------------------------------------------------------------
    def fit(self, train, valid=None, *, on_epoch_end=None, checkpoints=None,
            work_dir: str | Path | None = None) -> "TextClassifier":
        """Learn from ``train`` (a TextDataset, (text, label) pairs, (texts, labels), or a ``TextStream``).

        Without ``valid``, a stratified ``valid_fraction`` of train is held out (seeded) to choose the epoch.
        ``on_epoch_end(row)`` is called with each epoch's history row (train and validation figures); an
        exception it raises stops training and leaves fit, which is how a tuner prunes a trial.
        ``checkpoints`` (a ``textclass.training.Checkpointer``) saves the training state as it goes and, with
        ``resume=True``, continues a training that was killed: same data and settings, same result.
        Labels that are lists (or a TextDataset with ``label_sets``) train a multi-label classifier; its
        per-label thresholds are then tuned on the validation split (0.5 without one).

        A ``textclass.data.TextStream`` (a file read chunk by chunk; ``valid`` may be one too) trains on data
        larger than memory: the texts are never all held, their ids are written under ``work_dir`` (default:
        the system's temporary folder) and memory-mapped, and removed when fit returns.
        """
        self.defaults_ = {}
        if isinstance(train, TextStream):
            with ids_folder(work_dir) as folder:
                train_split, valid_split = self._prepare_stream(train, valid, folder)
                self._train(train_split, valid_split, on_epoch_end, checkpoints)
            return self
        train_split, valid_split = self._prepare(train, valid)
        self._train(train_split, valid_split, on_epoch_end, checkpoints)
        return self

    def _prepare(self, train, valid) -> tuple[EncodedSplit, EncodedSplit | None]:
        """Texts in memory: hold out validation, augment, choose defaults from the data, fit and run the encoder."""
        train = _as_dataset(train, "training data")
        _require_labeled(train, "training")
        self.task_ = "multi_label" if train.is_multi_label else "single_label"
        cfg = self.training_config(self.task_)
        if valid is None and cfg.valid_fraction > 0:
            train, valid = stratified_split(train, cfg.valid_fraction, cfg.seed)
            if len(valid) == 0:  # every label has a single example: nothing can be held out
                log.warning("validation: no label has two examples, so none is held out; training without "
                            "validation (the last epoch is kept)")
                valid = None
            else:
                log.info("validation: held out %d of %d training texts (stratified, seed %d)",
                         len(valid), len(train) + len(valid), cfg.seed)
        elif valid is not None:
            valid = _as_dataset(valid, "validation data")
            _require_labeled(valid, "validation")
            valid = self._same_task(valid, "validation")
        augmentation = resolve_augmentation(self.augment)
        if augmentation is not None:  # after the hold-out: validation and test scores stay on real texts
            train = augmentation.apply(train, cfg.seed)
        self.labels_ = train.label_names()
        self.data_summary_ = {"train_texts": len(train), "valid_texts": None if valid is None else len(valid)}
        self._check_label_count(train.origin)
        train_labels = self._encode_labels(train)
        if self.task_ == "single_label":  # the rules read class counts; label sets have none to read
            self._choose_from_data(DataShape.of(train.texts, train_labels))
        # Encoders may learn from labels (naive-Bayes feature weights); they only ever see the training split.
        self.encoder_ = build_encoder(self._split_params()[1])
        train_split = EncodedSplit(self.encoder_.fit_encode(train.texts, train_labels), train_labels)
        return train_split, self._encode(valid, "valid") if valid is not None else None

    def _prepare_stream(self, train: TextStream, valid, folder: Path) -> tuple[EncodedSplit, EncodedSplit | None]:
        """A file read in passes, never whole: scan (labels, lengths), fit the encoder, encode onto disk."""
        if self.augment is not None:
            raise ConfigError("augment adds texts in memory, which a TextStream is not held in; train on a "
                              "TextDataset to augment")
        scan = StreamScan.of(train)
        self.task_ = "multi_label" if scan.multi_label else "single_label"
        cfg = self.training_config(self.task_)
        heldout = np.zeros(scan.rows, dtype=bool)
        if valid is None and cfg.valid_fraction > 0 and scan.rows >= 2:
            rows = np.arange(scan.rows)
            labels = scan.labels_of(rows)
            heldout[stratified_heldout(None if scan.multi_label else labels, labels if scan.multi_label else None,
                                       scan.rows, cfg.valid_fraction, cfg.seed)] = True
            log.info("validation: held out %d of %d training texts (stratified, seed %d)", int(heldout.sum()),
                     scan.rows, cfg.seed)
        train_rows = np.flatnonzero(~heldout)
        train_sets = scan.labels_of(train_rows) if scan.multi_label else None
        names = sorted({label for labels in train_sets for label in labels}) if train_sets is not None else \
            [scan.label_names[code] for code in np.unique(scan.codes[train_rows])]
        self.labels_ = names
        self._check_label_count(train.origin)
        multi_label = self.task_ == "multi_label"
        train_labels = scan.encoded_labels(train_rows, self.labels_, multi_label)
        held_rows = np.flatnonzero(heldout)
        self.data_summary_ = {"train_texts": len(train_rows), "valid_texts": len(held_rows) or None}
        if self.task_ == "single_label":
            self._choose_from_data(DataShape.from_lengths(scan.lengths[train_rows], train_labels))
        encoder = build_encoder(self._split_params()[1])
        if not isinstance(encoder, StreamingEncoder):
            raise ConfigError(f"model {self.model!r} cannot train from a TextStream: its encoder needs every text in "
                              "memory")
        self.encoder_ = encoder
        encoder.fit_stream(training_texts(train, scan, heldout), scan.lengths[train_rows])
        train_ids, held_ids = encode_to_disk(encoder, train, scan, heldout, folder, split_held_out=held_rows.size > 0)
        encoder.fit_encoded(train_ids, train_labels)
        train_split = EncodedSplit(train_ids, train_labels)
        if held_ids is not None:
            return train_split, EncodedSplit(held_ids, scan.encoded_labels(held_rows, self.labels_, multi_label))
        if valid is None:
            return train_split, None
        if isinstance(valid, TextStream):
            valid_scan = StreamScan.of(valid)
            none_held = np.zeros(valid_scan.rows, dtype=bool)
            valid_ids, _ = encode_to_disk(encoder, valid, valid_scan, none_held, folder, False, name="valid")
            self.data_summary_["valid_texts"] = valid_scan.rows
            valid_labels = valid_scan.encoded_labels(np.arange(valid_scan.rows), self.labels_, multi_label)
            return train_split, EncodedSplit(valid_ids, valid_labels)
        valid = self._same_task(_as_dataset(valid, "validation data"), "validation")
        _require_labeled(valid, "validation")
        self.data_summary_["valid_texts"] = len(valid)
        return train_split, self._encode(valid, "valid")

    def _check_label_count(self, origin: str) -> None:
        if self.task_ == "multi_label" and not self.labels_:
            raise DataError("training data has no labels in any of its label sets", path=origin)
        if self.task_ == "single_label" and len(self.labels_) < 2:
            raise DataError(f"training data has a single label ({self.labels_[0]!r}); need at least two classes",
                            path=origin)

    def _train(self, train_split: EncodedSplit, valid_split: EncodedSplit | None, on_epoch_end, checkpoints) -> None:
        """Build the model, train it, then fit what reads validation: class-balance shift, temperature, thresholds."""
        cfg = self.training_config(self.task_)
        torch.manual_seed(cfg.seed)
        self.model_ = self._build_model(self._split_params()[0])
        # Pretrained vectors are read here only; a saved run carries the resulting weights.
        self.model_.init_embeddings(self.encoder_)
        log.info("model %s: %s parameters", MODELS.canonical(self.model),
                 f"{sum(p.numel() for p in self.model_.parameters()):,}")
        objective = objective_for(self.task_, train_split.labels)
        result = train_model(self.model_, train_split, valid_split, cfg, pad_id=self._pad_id(),
                             objective=objective, on_epoch_end=on_epoch_end, checkpoints=checkpoints)
        self.history_, self.best_epoch_ = result.history, result.best_epoch
        self.world_size_ = result.world_size
        self.model_.to("cpu").eval()  # predictions start on CPU; fit's device is a training choice
        if self.task_ == "single_label":
            self._balance_decisions(cfg, train_split.labels, valid_split)
        else:
            self._undo_positive_weights(objective)
        # As load does: a fitted and a loaded classifier predict through the same computation, bit for bit.
        self.model_.prepare_for_inference()
        self.thresholds_ = None
        self.temperature_, self.decision_ = 1.0, None
        self.calibration_ = {"temperature": 1.0, "fitted_on": None}
        if self.task_ == "multi_label":
            self.thresholds_ = self._tuned_thresholds(valid_split)
        else:  # temperature scaling and the two-class threshold are single-label notions
            self._fit_confidence(valid_split, cfg)

    def _choose_from_data(self, shape: DataShape) -> None:
        """Apply the model family's data rules to every setting the user left unset, and say so."""
        log.info("training data: %s", ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v:,.1f}"
                                                 for k, v in shape.to_dict().items()))
        self.defaults_ = {"data_shape": {"value": shape.to_dict(), "why": "measured on the training split"}}
        if shape.classes > shape.texts / 2:
            log.warning("%s classes among %s training texts: nearly every text has a label of its own, so little "
                        "can be learned about any label; is the label column the right one?",
                        f"{shape.classes:,}", f"{shape.texts:,}")
        for name, (value, why) in MODELS.get(self.model).data_defaults(shape).items():
            if name in self.options or name in self.params:
                continue
            self.defaults_[name] = {"value": value, "why": why}
            log.info("default %s = %s: %s", name, value, why)

    def _undo_positive_weights(self, objective: MultiLabel) -> None:
        """Training weighted rare labels' positives up, which inflates their sigmoid outputs; shift the scores
        back so per-label probabilities estimate how often the label holds. Thresholds, tuned afterwards,
        see the same order of texts either way."""
        offsets = objective.logit_offsets()
        if offsets is not None and not self.model_.shift_class_scores(torch.from_numpy(offsets).float()):
            log.info("model %s cannot shift its scores: per-label probabilities of rare labels stay inflated by "
                     "the positive weights of training (decisions use tuned thresholds, so they are unaffected)",
                     self.model)

    def _balance_decisions(self, cfg: TrainingConfig, train_labels: np.ndarray, valid: EncodedSplit | None) -> None:
        """The class_balance option: shift decisions towards rare classes when validation says it pays."""
        counts = np.bincount(train_labels, minlength=len(self.labels_))
        imbalance = counts.max() / max(counts.min(), 1)
        if cfg.class_balance == "off":
            return
        if cfg.class_balance == "auto" and imbalance < AUTO_MIN_IMBALANCE:
            log.info("class_balance auto: classes within %gx of each other (%.1fx), decisions left as trained",
                     AUTO_MIN_IMBALANCE, imbalance)
            return
        if cfg.class_balance == "auto" and counts.min() < AUTO_MIN_EXAMPLES:
            log.info("class_balance auto: the rarest class has %d training examples (under %d), too few to "
                     "estimate class priors by; decisions left as trained", counts.min(), AUTO_MIN_EXAMPLES)
            return
        if valid is None:
            log.log(logging.WARNING if cfg.class_balance == "on" else logging.INFO,
                    "class_balance: no validation data to choose a shift on; decisions left as trained")
            return
        valid_logits = predict_logits(self.model_, valid, PREDICT_BATCH_SIZE, pad_id=self._pad_id())
        tau, scored = choose_shift(valid_logits, valid.labels, counts)
        why = (f"largest class {imbalance:.1f}x the smallest; validation accuracy/macro-F1 per tau: "
               + ", ".join(f"{s['tau']:g}: {100 * s['accuracy']:.2f}/{100 * s['macro_f1']:.2f}" for s in scored))
        if tau and not self.model_.shift_class_scores(torch.from_numpy(class_offsets(counts, tau))):
            log.log(logging.WARNING if cfg.class_balance == "on" else logging.INFO,
                    "class_balance: model %s cannot shift its decisions; left as trained", self.model)
            return
        self.defaults_["class_prior_shift"] = {"value": tau, "why": why}
        log.info("class_balance: decisions shifted by %g x log prior (%s)", tau, why)

    def _fit_confidence(self, valid_split: EncodedSplit | None, cfg: TrainingConfig) -> None:
        """Temperature and (two-class, when asked) decision threshold, both from the validation split only."""
        self.temperature_, self.decision_ = 1.0, None
        self.calibration_ = {"temperature": 1.0, "fitted_on": None}
        if valid_split is None:
            if cfg.calibrate or cfg.threshold_objective:
                log.warning("no validation data: probabilities stay uncalibrated and no threshold is tuned")
            return
        logits = predict_logits(self.model_, valid_split, PREDICT_BATCH_SIZE, pad_id=self._pad_id(),
                                device=torch.device("cpu"))
        temperature, fitted, gain = (calibration.choose_temperature(logits, valid_split.labels) if cfg.calibrate
                                     else (None, None, None))
        if cfg.calibrate and temperature is None:
            log.warning("calibration: the model makes no mistake on the validation split, so no temperature "
                        "can be fitted; probabilities stay the raw softmax")
            self.calibration_["note"] = "validation has no mistakes: no finite temperature minimises its NLL"
        if temperature is not None:
            self.temperature_ = temperature
            self.calibration_ = {"temperature": temperature, "fitted_on": "validation",
                                 "valid_nll_before": calibration.nll(logits, valid_split.labels),
                                 "valid_nll_after": calibration.nll(logits, valid_split.labels, temperature),
                                 "fitted_temperature": fitted, "held_out_nll_gain": gain}
            log.info("calibration: temperature %.3f (fitted %.3f; validation NLL %.4f -> %.4f; held-out folds %s "
                     "%.5f per text%s)", temperature, fitted, self.calibration_["valid_nll_before"],
                     self.calibration_["valid_nll_after"], "gain" if gain > 0 else "change", gain,
                     "" if gain > 0 else ": no gain, so the softmax stays as trained")
        if cfg.threshold_objective is not None:
            if len(self.labels_) != 2:
                log.warning("threshold_objective applies to two-class tasks only; this one has %d classes: "
                            "predictions stay argmax", len(self.labels_))
                return
            proba = calibration.softmax(logits, self.temperature_)
            self.decision_ = {"positive_label": self.labels_[1],
                              **calibration.tune_threshold(proba[:, 1], valid_split.labels == 1,
                                                           cfg.threshold_objective)}
            log.info("decision threshold for %r: %.4f (%s on validation%s)", self.labels_[1],
                     self.decision_["threshold"], self.decision_["objective"],
                     "" if self.decision_["met"] else ", target not reachable: best F1 instead")

    def _same_task(self, data: TextDataset, role: str) -> TextDataset:
        """``data`` with labels of the kind the classifier was trained on: single labels read as one-label
        sets for a multi-label classifier; label sets for a single-label one are an error."""
        if self.task_ == "multi_label" and not data.is_multi_label:
            return data.as_multi_label()
        if self.task_ == "single_label" and data.is_multi_label:
            raise DataError(f"the {role} data has label sets (multi-label) but the classifier is single-label",
                            path=data.origin, field="label")
        return data

    def _tuned_thresholds(self, valid: EncodedSplit | None) -> np.ndarray:
        if valid is None:
            log.warning("no validation data: every label's decision threshold stays at %g", DEFAULT_THRESHOLD)
            return np.full(len(self.labels_), DEFAULT_THRESHOLD)
        logits = predict_logits(self.model_, valid, PREDICT_BATCH_SIZE, pad_id=self._pad_id(),
                                device=torch.device("cpu"))
        thresholds, tuned = tune_thresholds(valid.labels, torch.sigmoid(torch.from_numpy(logits)).numpy())
        untuned = [label for label, ok in zip(self.labels_, tuned) if not ok]
        log.info("decision thresholds tuned on validation for %d of %d labels (median %.3f)%s",
                 int(tuned.sum()), len(tuned), float(np.median(thresholds[tuned])) if tuned.any() else DEFAULT_THRESHOLD,
                 f"; {len(untuned)} without a validation text it can find keep {DEFAULT_THRESHOLD}: "
                 f"{', '.join(untuned[:10])}" if untuned else "")
        return thresholds

    def _pad_id(self) -> int:
        return self.encoder_.model_args().get("padding_idx", 0)

    def _encode(self, data: TextDataset, name: str) -> EncodedSplit:
        ids = self.encoder_.encode(data.texts, name=name)
        if not data.is_labeled:
            return EncodedSplit(ids)
        return EncodedSplit(ids, self._encode_labels(data))

    # -- inference ------------------------------------------------------------------------------------
    def _check_fitted(self):
        if self.model_ is None:
            raise RuntimeError("this TextClassifier is not fitted: call fit() or TextClassifier.load()")

    def _logits(self, data: TextDataset | Sequence[str], batch_size: int | None, device: str | None) -> np.ndarray:
        self._check_fitted()
        if not isinstance(data, TextDataset):
            data = TextDataset(check_texts(data))
        if len(data) == 0:
            return np.zeros((0, len(self.labels_)), dtype=np.float32)
        split = self._encode(data, data.origin)
        target = resolve_device(device or "cpu")
        batch_size = batch_size or self.model_.predict_batch_size() or PREDICT_BATCH_SIZE
        if target.type == "cpu":  # where the model lives between calls; moving it costs even when a no-op
            return predict_logits(self.model_, split, batch_size, pad_id=self._pad_id(), device=target)
        self.model_.to(target)
        try:
            return predict_logits(self.model_, split, batch_size, pad_id=self._pad_id(), device=target)
        finally:
            self.model_.to("cpu")

    @property
    def multi_label(self) -> bool:
        self._check_fitted()
        return self.task_ == "multi_label"

    def predict_proba(self, texts: Iterable[str], batch_size: int | None = None, device: str | None = None,
                      calibrate: bool = True):
        """Shape [n_texts, n_labels], columns in ``labels_`` order: softmax probabilities (each row sums to 1)
        of the logits divided by the run's fitted temperature (``calibrate=False``: the raw logits), or,
        multi-label, each label's own sigmoid probability."""
        logits = self._logits(texts, batch_size, device)
        if self.multi_label:
            return torch.sigmoid(torch.from_numpy(logits)).numpy()
        return calibration.softmax(logits, self.temperature_ if calibrate else 1.0).astype(np.float32)

    def decide(self, proba: np.ndarray, abstain_below: float | None = None) -> list[tuple[str, float]]:
        """Single-label: (label, its probability) per row of ``predict_proba``'s output: the tuned two-class
        threshold when the run has one, else the most probable label; ``calibration.UNCERTAIN`` when that
        label's probability is under ``abstain_below``."""
        self._check_fitted()
        chosen, names = calibration.decisions(proba, self.labels_, self.threshold, abstain_below)
        return [(name, float(proba[row, i])) for row, (i, name) in enumerate(zip(chosen.tolist(), names))]

    @property
    def threshold(self) -> float | None:
        """The tuned two-class decision threshold on the second label's probability, or None (argmax)."""
        return None if self.decision_ is None else self.decision_["threshold"]

    def predict(self, texts: Iterable[str], batch_size: int | None = None, device: str | None = None,
                abstain_below: float | None = None) -> list:
        """One label per text; multi-label: a list per text of the labels at or above their thresholds
        (in ``labels_`` order, possibly empty)."""
        if self.multi_label:
            return self.label_sets(self.predict_proba(texts, batch_size, device))
        if self.decision_ is None and abstain_below is None:
            # Softmax keeps the order of scores: no probabilities needed (nor their texts x classes copy).
            return [self.labels_[i] for i in self._logits(texts, batch_size, device).argmax(1)]
        proba = self.predict_proba(texts, batch_size, device)
        return [label for label, _ in self.decide(proba, abstain_below)]

    def label_sets(self, proba: np.ndarray) -> list[list[str]]:
        """The predicted label set of each row of multi-label ``predict_proba`` output."""
        chosen = apply_thresholds(proba, self.thresholds_)
        return [[self.labels_[j] for j in np.flatnonzero(row)] for row in chosen]

    @torch.no_grad()
    def explain(self, texts: Iterable[str], batch_size: int = 256) -> list[list[tuple[str, float]]]:
        """Per text, ``(token, attention weight)`` for each token the model read (weights sum to 1).

        Tokens are vocabulary entries, so a word outside the vocabulary shows as ``<unk>``; a text is cut at
        ``max_len`` tokens as in prediction. Only attention models (``bilstm_attn``) can explain.
        """
        self._check_fitted()
        if not isinstance(self.model_, TokenAttention):
            raise ConfigError(f"model {self.model!r} has no attention weights to explain with; use bilstm_attn")
        split = self._encode(TextDataset(check_texts(texts)), "texts")
        itos, explained = self.encoder_.vocab.itos, [None] * len(split)
        self.model_.eval()
        for indices, batch in iterate_batches(split, batch_size, self.model_.input_format, pad_id=self._pad_id()):
            weights = self.model_.attention_weights(batch)
            for row, i in enumerate(indices):
                n = int(batch.lengths[row])
                explained[i] = [(itos[t], w) for t, w in zip(batch.ids[row, :n].tolist(), weights[row, :n].tolist())]
        return explained

    def evaluate(self, data, batch_size: int | None = None, device: str | None = None) -> dict:
        """The full report on labeled data: ``textclass.evaluation.classification_report`` of the run's
        decisions, plus ``calibration`` (NLL, Brier and ECE over 15 equal-width bins, before and after the
        temperature), ``coverage`` (accuracy of the texts answered at each confidence floor), and
        ``predictions`` (per-text true and predicted indices with the data's sha256, for paired comparisons)."""
        return self.evaluation(data, batch_size, device).report

    def evaluation(self, data, batch_size: int | None = None, device: str | None = None) -> Evaluation:
        """``evaluate``'s report together with the data and raw logits it came from (for report.html)."""
        data = _as_dataset(data, "evaluation data")
        _require_labeled(data, "evaluation")
        self._check_fitted()
        data = self._same_task(data, "evaluation")
        logits = self._logits(data, batch_size, device)
        y_true = self._encode_labels(data)
        if self.multi_label:
            loss = float(torch.nn.functional.binary_cross_entropy_with_logits(torch.from_numpy(logits),
                                                                              torch.from_numpy(y_true)))
            decisions = apply_thresholds(torch.sigmoid(torch.from_numpy(logits)).numpy(), self.thresholds_)
            report = multilabel_report(y_true, decisions, self.labels_, loss=loss, thresholds=self.thresholds_)
            return Evaluation(report, data, logits, y_true)
        loss = float(torch.nn.functional.cross_entropy(torch.from_numpy(logits), torch.from_numpy(y_true)))
        raw, proba = calibration.softmax(logits), calibration.softmax(logits, self.temperature_)
        y_pred = calibration.decide(proba, self.threshold)
        report = classification_report(y_true, y_pred, self.labels_, loss=loss)
        report["calibration"] = {"temperature": self.temperature_, "ece_bins": ECE_BINS,
                                 "before": calibration_scores(raw, y_true), "after": calibration_scores(proba, y_true)}
        if self.decision_ is not None:
            report["decision_threshold"] = dict(self.decision_)
        report["coverage"] = coverage_curve(proba[np.arange(len(y_pred)), y_pred], y_pred == y_true)
        report["predictions"] = {"sha256": dataset_fingerprint(data), "true": y_true.tolist(),
                                 "predicted": y_pred.tolist()}
        return Evaluation(report, data, logits, y_true)

    def _encode_labels(self, data: TextDataset) -> np.ndarray:
        """Class indices [n] (single-label) or a 0/1 float matrix [n, n_labels] (multi-label)."""
        index = {label: i for i, label in enumerate(self.labels_)}
        sets = data.as_label_sets()
        unseen = sorted({label for labels in sets for label in labels} - set(index))
        if unseen:
            rows = [i + 1 for i, labels in enumerate(sets) if any(label not in index for label in labels)]
            raise DataError(f"{len(rows)} rows have labels the training data never had: "
                            f"{', '.join(map(repr, unseen[:10]))} (first at example {rows[0]})",
                            path=data.origin, field="label")
        if data.is_multi_label:
            matrix = np.zeros((len(data), len(self.labels_)), dtype=np.float32)
            for row, labels in enumerate(sets):
                matrix[row, [index[label] for label in labels]] = 1.0
            return matrix
        return np.fromiter((index[label] for label in data.labels), np.int64, len(data))

    # -- persistence ------------------------------------------------------------------------------------
    def config(self) -> dict:
        model_params, _ = self._split_params()
        config = {
            "task": self.task_,
            "model": {"name": MODELS.canonical(self.model), "params": model_params},
            "encoder": self.encoder_.config(),
            "training": self.training_config(self.task_).to_dict(),
            "best_epoch": self.best_epoch_,
            "defaults": self.defaults_,
            "distributed": {"world_size": self.world_size_},
            "data_summary": self.data_summary_,
            "calibration": self.calibration_,
            "decision": self.decision_,
            "augment": None if self.augment is None else resolve_augmentation(self.augment).record(),
            **({"data": self.data_columns} if self.data_columns else {}),
        }
        if self.multi_label:
            config["label_thresholds"] = {label: float(t) for label, t in zip(self.labels_, self.thresholds_)}
        return config

    def save(self, directory, metrics: dict | None = None, files: dict[str, str] | None = None, *,
             overwrite: bool = False) -> Path:
        """Write the run directory; ``files`` adds text files by name (``{"report.html": html}``). An existing
        run there is replaced only with ``overwrite=True``; anything else there (a file, a folder that is not a
        run) is never replaced (``textclass.artifact``)."""
        self._check_fitted()
        extra = {"history.json": self.history_}
        if metrics is not None:
            extra["metrics.json"] = metrics
        return artifact.save_run(directory, config=self.config(), labels=self.labels_, encoder=self.encoder_,
                                 model=self.model_, extra_json=extra, extra_text=files, overwrite=overwrite)

    @classmethod
    def load(cls, directory) -> "TextClassifier":
        directory, config, labels = artifact.read_run(directory)
        training = dict(config["training"])
        # A setting both parts take (a transformer's ``pretrained``) was saved in both, with one value.
        unknown = sorted(set(training) - set(OPTIONS))
        if unknown:
            log.warning("%s/config.json: ignoring training settings this version does not know: %s",
                        directory, ", ".join(unknown))
        options = {k: v for k, v in training.items() if k in OPTIONS}
        try:
            clf = cls(config["model"]["name"], **options, **{**config["model"]["params"], **_encoder_overrides(config)})
        except (ConfigError, TypeError, ValueError) as exc:
            raise ArtifactError(f"{directory / 'config.json'}: settings not accepted: {exc}") from None
        clf.augment = _recreatable_augment(config.get("augment"))
        clf.labels_ = labels
        clf.task_, clf.thresholds_ = _task_and_thresholds(directory, config, labels)
        clf.encoder_ = load_encoder(directory, config["encoder"])
        # Checked against the weights' header on the meta device first: nothing is allocated from bad sizes.
        clf.model_ = artifact_checks.build_model(lambda: clf._build_model(config["model"]["params"], run_dir=directory),
                                                 directory / "model.safetensors")
        artifact.load_weights(clf.model_, directory)
        clf.model_.eval()
        clf.model_.prepare_for_inference()
        clf.history_ = artifact.read_json(directory / "history.json") if (directory / "history.json").exists() else []
        clf.best_epoch_ = config.get("best_epoch")
        clf.defaults_ = config.get("defaults", {})
        clf.world_size_ = config.get("distributed", {}).get("world_size", 1)
        clf.data_columns = config.get("data")  # absent in runs saved before it was recorded
        clf.data_summary_ = config.get("data_summary")
        clf.calibration_, clf.temperature_, clf.decision_ = _confidence_settings(directory, config)
        return clf


def _confidence_settings(directory: Path, config: dict) -> tuple[dict, float, dict | None]:
    """The run's calibration section, its temperature and its two-class decision, checked: a damaged value is an
    ArtifactError, never a wrong probability. Runs saved before calibration existed have neither section: raw
    softmax, argmax decisions."""
    calibration = config.get("calibration") or {"temperature": 1.0, "fitted_on": None}
    temperature = calibration.get("temperature", 1.0) if isinstance(calibration, dict) else None
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not 0 < temperature < float("inf"):
        raise ArtifactError(f"{directory / 'config.json'}: calibration.temperature must be a positive number, "
                            f"got {temperature!r}")
    decision = config.get("decision")
    threshold = decision.get("threshold") if isinstance(decision, dict) else None
    if decision is not None and (isinstance(threshold, bool) or not isinstance(threshold, (int, float))
                                 or not 0 <= threshold <= 1):
        raise ArtifactError(f"{directory / 'config.json'}: decision.threshold must be a probability, got {threshold!r}")
    return calibration, float(temperature), decision


def _task_and_thresholds(directory: Path, config: dict, labels: list[str]) -> tuple[str, np.ndarray | None]:
    task = config.get("task", "single_label")  # runs from before multi-label support are single-label
    if task not in OBJECTIVES:
        raise ArtifactError(f"{directory}/config.json: unknown task {task!r}")
    if task == "single_label":
        return task, None
    saved = config.get("label_thresholds")
    if not isinstance(saved, dict) or sorted(saved) != sorted(labels) or not all(
            isinstance(value, (int, float)) for value in saved.values()):
        raise ArtifactError(f"{directory}/config.json: a multi-label run needs label_thresholds, one "
                                     "number per label of labels.json")
    return task, np.array([float(saved[label]) for label in labels])


def _encoder_overrides(config: dict) -> dict:
    """Encoder settings as constructor params, so a loaded classifier's get_params() matches the trained one."""
    return dict(config["encoder"].get("params", {}))


def _recreatable_augment(record: dict | None) -> dict | None:
    """A named method comes back as it was set; an augmenter object (BackTranslation) was recorded by
    description only and is not re-created: prediction never augments, and re-fitting needs it passed again."""
    return record if record is not None and "method" in record else None


def _require_labeled(data: TextDataset, role: str) -> None:
    if len(data) == 0:
        raise DataError(f"the {role} data is empty", path=data.origin)
    if not data.is_labeled:
        raise DataError(f"the {role} data has no labels", path=data.origin)
