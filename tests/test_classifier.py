import numpy as np
import pytest

from textclass import ConfigError, DataError, TextClassifier, TextDataset


def test_learns_a_three_class_task_with_string_labels(fitted, topics):
    _, test = topics
    assert fitted.labels_ == ["cooking", "finance", "sports"]
    predictions = fitted.predict(test.texts)
    assert set(predictions) <= set(fitted.labels_)
    accuracy = np.mean([p == y for p, y in zip(predictions, test.labels)])
    assert accuracy >= 0.9


def test_predict_proba_is_a_distribution_matching_predict(fitted, topics):
    texts = topics[1].texts[:20]
    proba = fitted.predict_proba(texts)
    assert proba.shape == (20, 3)
    assert (proba >= 0).all() and np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert [fitted.labels_[i] for i in proba.argmax(1)] == fitted.predict(texts)


def test_evaluate_reports_what_predict_does(fitted, topics):
    _, test = topics
    report = fitted.evaluate(test)
    predictions = fitted.predict(test.texts)
    assert report["accuracy"] == pytest.approx(np.mean([p == y for p, y in zip(predictions, test.labels)]))
    assert report["labels"] == fitted.labels_
    assert report["n"] == len(test)
    assert sum(map(sum, report["confusion_matrix"])) == len(test)
    assert {label: stats["support"] for label, stats in report["per_class"].items()} == \
        {label: test.labels.count(label) for label in fitted.labels_}
    assert "loss" in report and report["loss"] > 0
    assert fitted.evaluate(list(zip(test.texts, test.labels)))["accuracy"] == report["accuracy"]


def test_predictions_do_not_depend_on_batching_or_order(fitted, topics):
    texts = topics[1].texts
    whole = fitted.predict_proba(texts, batch_size=256)
    np.testing.assert_allclose(fitted.predict_proba(texts, batch_size=1), whole, rtol=0, atol=1e-6)
    np.testing.assert_allclose(fitted.predict_proba(texts[::-1], batch_size=7), whole[::-1], rtol=0, atol=1e-6)


def test_empty_and_huge_texts_get_a_prediction(fitted):
    huge = "the team scored a goal in the match " * 30_000  # about 1 MB
    assert len(huge) > 1_000_000
    texts = ["", "   ", huge, "<br />"]
    proba = fitted.predict_proba(texts)
    assert proba.shape == (4, 3) and np.isfinite(proba).all()
    labels = fitted.predict(texts)
    assert len(labels) == 4 and set(labels) <= set(fitted.labels_)
    assert labels[2] == "sports"


def test_no_texts_no_predictions(fitted):
    assert fitted.predict([]) == []
    assert fitted.predict_proba([]).shape == (0, 3)


def test_a_single_string_is_refused(fitted):
    with pytest.raises(TypeError, match="list of texts"):
        fitted.predict("one text")
    with pytest.raises(TypeError, match="not str"):
        fitted.predict(["fine", 3])


def test_unknown_parameter_fails_at_construction():
    with pytest.raises(ConfigError) as info:
        TextClassifier("bilstm", hidden_dims=32)
    assert "hidden_dims" in str(info.value) and "hidden_dim" in str(info.value)


def test_unknown_model_fails_at_construction():
    with pytest.raises(ConfigError, match="unknown model 'lstm9000'"):
        TextClassifier("lstm9000")


def test_label_in_test_unseen_in_train_names_the_label(fitted, topics):
    _, test = topics
    bad = TextDataset(test.texts[:5], test.labels[:4] + ["weather"], origin="test.csv")
    with pytest.raises(DataError) as info:
        fitted.evaluate(bad)
    message = str(info.value)
    assert "'weather'" in message and "test.csv" in message and "example 5" in message


def test_label_in_valid_unseen_in_train_is_a_data_error(topics, tiny_params):
    train, _ = topics
    valid = [("goal for the team", "sports"), ("rain tomorrow", "weather")]
    with pytest.raises(DataError, match="'weather'"):
        TextClassifier("bilstm", **{**tiny_params, "epochs": 1}).fit(train, valid=valid)


def test_bad_training_data(tiny_params):
    clf = TextClassifier("bilstm", **{**tiny_params, "epochs": 1})
    with pytest.raises(DataError, match="single label"):
        clf.fit([("a", "x"), ("b", "x"), ("c", "x")])
    with pytest.raises(DataError, match="empty"):
        clf.fit([])
    with pytest.raises(DataError, match="no labels"):
        clf.fit(TextDataset(["a", "b"]))


def test_input_shapes_accepted_by_fit(tiny_params):
    texts = ["good goal", "bad loan", "good match", "bad bank"] * 5
    labels = [1, 0, 1, 0] * 5  # not strings: become "0"/"1"
    params = {**tiny_params, "epochs": 1, "valid_fraction": 0.2}
    for data in ((texts, labels), list(zip(texts, labels)), TextDataset(texts, [str(y) for y in labels])):
        clf = TextClassifier("bilstm", **params).fit(data)
        assert clf.labels_ == ["0", "1"]
        assert len(clf.predict(["good"])) == 1


def test_validation_hold_out_is_stratified_and_not_trained_on(topics, tiny_params, monkeypatch):
    import textclass.classifier as module

    seen = {}
    real = module.train_model

    def spy(model, train, valid, cfg, pad_id=0, **kwargs):
        seen["train"], seen["valid"] = len(train), len(valid)
        return real(model, train, valid, cfg, pad_id=pad_id, **kwargs)

    monkeypatch.setattr(module, "train_model", spy)
    train, _ = topics
    TextClassifier("bilstm", **{**tiny_params, "epochs": 1, "valid_fraction": 0.25}).fit(train)
    assert seen == {"train": 180, "valid": 60}


def test_not_fitted():
    with pytest.raises(RuntimeError, match="not fitted"):
        TextClassifier("bilstm").predict(["x"])


def test_same_seed_same_model(topics, tiny_params):
    train, test = topics
    small = train.subset(range(60))
    a = TextClassifier("bilstm", **{**tiny_params, "epochs": 2}).fit(small)
    b = TextClassifier("bilstm", **{**tiny_params, "epochs": 2}).fit(small)
    assert np.array_equal(a.predict_proba(test.texts), b.predict_proba(test.texts))


def test_save_load_round_trip(fitted, topics, tmp_path):
    texts = topics[1].texts + ["", "unseen words only"]
    fitted.save(tmp_path / "run")
    loaded = TextClassifier.load(tmp_path / "run")
    assert np.array_equal(loaded.predict_proba(texts), fitted.predict_proba(texts))
    assert loaded.evaluate(topics[1]) == fitted.evaluate(topics[1])


def test_hyperparameters_list_model_and_encoder_settings():
    hyper = TextClassifier.hyperparameters("bilstm")
    assert {"hidden_dim", "num_layers", "embedding_dim", "dropout", "max_len", "vocab_size", "min_freq",
            "tokenizer"} <= set(hyper)
    assert hyper["max_len"] == 256 and hyper["vocab_size"] == 10000


def test_encoder_settings_reach_the_encoder(topics, tiny_params):
    train, _ = topics
    clf = TextClassifier("bilstm", **{**tiny_params, "epochs": 1, "max_len": 3, "tokenizer": "simple"}).fit(train)
    assert clf.encoder_.max_len == 3 and clf.encoder_.tokenizer == "simple_v1"
    assert clf.model_.embedding.num_embeddings == len(clf.encoder_.vocab)


def test_one_example_per_label_trains_without_validation(tiny_params, caplog):
    data = [("goal team", "sports"), ("bake sauce", "cooking"), ("bank loan", "finance")]
    with caplog.at_level("WARNING", logger="textclass"):
        clf = TextClassifier("bilstm", **{**tiny_params, "epochs": 2}).fit(data)
    assert clf.best_epoch_ == 2 and not any("valid_loss" in row for row in clf.history_)
    assert "none is held out" in caplog.text
    assert len(clf.predict(["goal"])) == 1
