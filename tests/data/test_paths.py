from pathlib import Path

import pytest

from textclass.data import resolve_data_dir
from textclass.data.paths import cache_dirs, writable_cache_dir
from textclass.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("TEXTCLASS_DATA", raising=False)
    monkeypatch.delenv("TEXTCLASS_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def test_data_dir_precedence(monkeypatch, tmp_path):
    assert resolve_data_dir() == tmp_path / "home" / ".cache" / "textclass"
    monkeypatch.setenv("TEXTCLASS_DATA", str(tmp_path / "env"))
    assert resolve_data_dir() == tmp_path / "env"
    assert resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_data_dir(str(tmp_path / "explicit")) == tmp_path / "explicit"


def test_writable_data_dir_is_the_cache_and_is_created(tmp_path):
    data_dir = tmp_path / "data" / "new"
    assert writable_cache_dir(data_dir) == data_dir and data_dir.is_dir()


@pytest.fixture
def read_only_dir(tmp_path):
    path = tmp_path / "shared"
    path.mkdir()
    path.chmod(0o555)
    yield path
    path.chmod(0o755)


def test_read_only_data_dir_falls_back_to_home_cache(read_only_dir, tmp_path):
    assert writable_cache_dir(read_only_dir) == tmp_path / "home" / ".cache" / "textclass"
    assert list(read_only_dir.iterdir()) == []


def test_cache_environment_variable_wins(read_only_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTCLASS_CACHE", str(tmp_path / "cache"))
    assert writable_cache_dir(read_only_dir) == tmp_path / "cache"
    assert writable_cache_dir(tmp_path) == tmp_path / "cache"


def test_unwritable_cache_setting_is_a_config_error(read_only_dir, monkeypatch):
    monkeypatch.setenv("TEXTCLASS_CACHE", str(read_only_dir))
    with pytest.raises(ConfigError, match="TEXTCLASS_CACHE"):
        writable_cache_dir(Path("/unused"))


def test_cache_dirs_lists_candidates_without_creating_them(tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    assert cache_dirs(data_dir) == [data_dir, tmp_path / "home" / ".cache" / "textclass"]
    monkeypatch.setenv("TEXTCLASS_CACHE", str(tmp_path / "cache"))
    assert cache_dirs(data_dir) == [tmp_path / "cache", data_dir]
    assert not data_dir.exists() and not (tmp_path / "cache").exists()
