import pytest

from textclass.data import SOURCES, DataSource, TextDataset, list_sources, load_source, register_source
from textclass.errors import ConfigError


@pytest.fixture
def isolated_registry(monkeypatch):
    monkeypatch.setattr(SOURCES, "_entries", dict(SOURCES._entries))


def define_toy_source():
    @register_source("toy")
    class Toy(DataSource):
        splits = ("train", "test")
        description = "two rows"

        def load(self, split, data_dir, progress):
            return TextDataset([f"{split} text", str(data_dir)], ["a", "b"], f"toy/{split}")

        def status(self, data_dir):
            return f"built in, nothing in {data_dir}"

    return Toy


def test_unknown_source_lists_known_ones():
    with pytest.raises(ConfigError, match="unknown data source 'nope'.*imdb"):
        load_source("nope", "train")


def test_unknown_split_lists_the_source_splits():
    with pytest.raises(ConfigError, match="no split 'dev'.*train, test, unsup"):
        load_source("imdb", "dev")


def test_registered_source_loads_and_is_listed(isolated_registry, tmp_path):
    toy = define_toy_source()
    assert toy.registry_name == "toy"
    ds = load_source("toy", "test", data_dir=tmp_path)
    assert ds.texts == ["test text", str(tmp_path)]
    listed = {entry["name"]: entry for entry in list_sources(tmp_path)}
    assert listed["toy"] == {"name": "toy", "splits": ("train", "test"), "description": "two rows",
                             "location": f"built in, nothing in {tmp_path}"}
    assert "imdb" in listed


def test_data_dir_defaults_to_the_environment(isolated_registry, tmp_path, monkeypatch):
    define_toy_source()
    monkeypatch.setenv("TEXTCLASS_DATA", str(tmp_path))
    assert load_source("toy", "train").texts[1] == str(tmp_path)


def test_registering_a_name_twice_or_an_incomplete_class_fails(isolated_registry):
    define_toy_source()
    with pytest.raises(ValueError, match="'toy'"):
        define_toy_source()
    with pytest.raises(TypeError, match="subclass of DataSource"):
        register_source("half")(type("Half", (), {"splits": ("train",), "description": "x"}))


def test_banking77_is_built_in_and_read_from_the_data_directory(tmp_path):
    folder = tmp_path / "banking77"
    folder.mkdir()
    (folder / "train.csv").write_text('text,category\n"lost card, help",card_lost\nrate?,exchange_rate\n')
    (folder / "test.csv").write_text("text,category\nwhere is my card,card_arrival\n")
    train = load_source("banking77", "train", data_dir=tmp_path)
    assert train.texts == ["lost card, help", "rate?"] and train.labels == ["card_lost", "exchange_rate"]
    listed = {entry["name"]: entry for entry in list_sources(tmp_path)}
    assert listed["banking77"]["location"] == f"in {folder}"
