import dataclasses

import pytest

from textclass import TextClassifier
from textclass.cli.main import build_parser
from textclass.errors import ConfigError
from textclass.training import OPTIONS, TrainingConfig


def test_every_option_declares_its_help():
    for name, field in OPTIONS.items():
        assert field.metadata["help"], name


def test_every_option_is_a_train_flag_and_an_api_keyword():
    parser = build_parser()
    for name, field in OPTIONS.items():
        value = field.default if field.default is not None else 1
        flag = "--" + name.replace("_", "-")
        argv = ["train", "--out", "r", "--data", "imdb"]
        argv += [flag if value is not False else "--no-" + flag[2:]] if isinstance(value, bool) else [flag, str(value)]
        args = parser.parse_args(argv)
        assert vars(args)[f"opt_{name}"] == value, name
        assert TextClassifier(**{name: value}).training_config().to_dict()[name] == value, name


@pytest.mark.parametrize("settings, words", [
    ({"epochs": 0}, "epochs must be at least 1"),
    ({"lr": 0.0}, "lr must be above 0"),
    ({"warmup_ratio": 1.0}, "warmup_ratio must be below 1"),
    ({"monitor": "recall"}, "unknown monitor 'recall'"),
    ({"lr_schedule": "step"}, "unknown lr_schedule"),
    ({"epochs": 2.5}, "epochs must be int"),
    ({"epochs": True}, "epochs must be int"),
    ({"progress": 1}, "progress must be bool"),
    ({"valid_fraction": -0.1}, "valid_fraction must be at least 0"),
])
def test_constraints_are_checked_where_declared(settings, words):
    with pytest.raises(ConfigError, match=words):
        TrainingConfig(**settings)
    with pytest.raises(ConfigError, match=words):  # the API checks at construction, before any data is read
        TextClassifier(**settings)


def test_an_int_is_a_fine_float():
    assert TrainingConfig(lr=1).lr == 1


def test_model_defaults_fill_only_what_was_not_given():
    cfg = TextClassifier("cnn", epochs=3).training_config()
    assert (cfg.epochs, cfg.patience) == (3, 2)


def test_set_params_and_clone():
    clf = TextClassifier("cnn", epochs=3, num_filters=8)
    clone = TextClassifier(**clf.get_params())
    assert clone.get_params() == clf.get_params()
    clone.set_params(epochs=4, model="bilstm", num_filters=None)
    assert clf.get_params()["epochs"] == 3
    with pytest.raises(ConfigError, match="has no parameter"):
        TextClassifier("bilstm", num_filters=8)
    with pytest.raises(ConfigError, match="epochs must be at least 1"):
        clf.set_params(epochs=0)


def test_the_dataclass_is_the_only_list_of_options():
    assert list(OPTIONS) == [f.name for f in dataclasses.fields(TrainingConfig)]
