import inspect

import pytest
from torch import nn

from textclass.errors import ConfigError
from textclass.models import MODELS, model_hyperparameters, register_model
from textclass.models.registry import DATA_ARGS
from textclass.registry import Registry, constructor_defaults
from textclass.text import ENCODERS


def canonical_models():
    return sorted({MODELS.canonical(name) for name in MODELS.names()})


def test_bilstm_is_registered_with_alias_and_version():
    assert {"bilstm", "bilstm_v1"} <= set(MODELS.names())
    assert "bilstm" in MODELS and "bilstm_v1" in MODELS and "nope" not in MODELS
    assert MODELS.canonical("bilstm") == "bilstm_v1"
    assert MODELS.get("bilstm") is MODELS.get("bilstm_v1")


def test_unknown_model_is_a_config_error_listing_the_known_ones():
    with pytest.raises(ConfigError) as info:
        MODELS.get("lstm9000")
    message = str(info.value)
    assert "unknown model 'lstm9000'" in message and "bilstm" in message


@pytest.mark.parametrize("name", canonical_models())
def test_every_model_fulfils_the_registry_contract(name):
    cls = MODELS.get(name)
    assert issubclass(cls, nn.Module)
    assert cls.registry_name == name
    assert cls.input_format in ("padded", "bag")
    assert cls.encoder["name"] in ENCODERS
    accepted = inspect.signature(cls.__init__).parameters
    assert "num_classes" in accepted
    hyper = model_hyperparameters(name)
    assert not set(hyper) & set(DATA_ARGS)  # filled from the data, never a user setting
    assert "self" not in hyper


def test_model_hyperparameters_are_the_keyword_defaults():
    hyper = model_hyperparameters("bilstm")
    assert hyper["hidden_dim"] == 256 and hyper["num_layers"] == 2
    assert "vocab_size" not in hyper and "num_classes" not in hyper and "padding_idx" not in hyper


def test_generic_registry():
    registry = Registry("widget")

    @registry.register("thing_v1", aliases=("thing",))
    def thing():
        return 1

    assert registry.get("thing") is thing and registry.get("thing_v1") is thing
    assert registry.canonical("thing") == "thing_v1"
    assert registry.names() == ["thing", "thing_v1"]
    assert registry.aliases() == {"thing": thing}
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("thing_v1")(lambda: 2)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("thing")(lambda: 2)  # an alias name is taken too
    with pytest.raises(ConfigError, match="unknown widget 'gadget'; known: thing, thing_v1"):
        registry.get("gadget")


def test_register_model_sets_the_registry_name_without_touching_the_global_registry(monkeypatch):
    fresh = Registry("model")
    monkeypatch.setattr("textclass.models.registry.MODELS", fresh)

    @register_model("probe_v1", aliases=("probe",))
    class Probe(nn.Module):
        input_format = "bag"
        encoder = {"name": "vocab_v1", "params": {}}

        def __init__(self, vocab_size, num_classes, padding_idx=0, width: int = 4):
            super().__init__()

    assert Probe.registry_name == "probe_v1"
    assert fresh.get("probe") is Probe
    assert "probe" not in MODELS


def test_constructor_defaults_skips_required_and_variadic_parameters():
    class Thing:
        def __init__(self, required, *args, size: int = 3, name="x", **kwargs):
            pass

    assert constructor_defaults(Thing) == {"size": 3, "name": "x"}
    assert constructor_defaults(Thing, exclude=("size",)) == {"name": "x"}
