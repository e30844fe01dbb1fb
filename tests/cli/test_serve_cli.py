"""`textclass serve`'s own checks, before any server starts (the server itself: tests/serve/)."""
from __future__ import annotations

import sys

import pytest

from textclass.errors import ConfigError


def test_a_missing_run_is_one_error_line(cli, tmp_path):
    result = cli("serve", tmp_path / "nothing", "--port", 0)
    assert result.code == 2 and "no such run directory" in result.err


@pytest.mark.parametrize("flags, message", [
    (("--workers", 0), "--workers must be at least 1"),
    (("--port", 70000), "--port must be between 0 and 65535"),
    (("--threads", 0), "--threads must be at least 1"),
    (("--max-batch-size", 0), "max_batch_size must be at least 1"),
    (("--max-wait-ms", -1), "max_wait_ms must be 0 or more"),
])
def test_bad_settings_are_refused_before_loading(cli, tmp_path, flags, message):
    result = cli("serve", tmp_path / "nothing", *flags)
    assert result.code == 2 and message in result.err


def test_without_the_serve_extra_the_error_says_what_to_install(monkeypatch):
    from textclass.serve import require_serve_extra

    monkeypatch.setitem(sys.modules, "fastapi", None)  # what an absent package looks like to import
    with pytest.raises(ConfigError, match=r"pip install 'textclass\[serve\]'"):
        require_serve_extra()


def test_default_threads_leave_a_core_for_the_event_loop(monkeypatch):
    from textclass.serve import default_threads

    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert default_threads(1) == 1 and default_threads(2) == 1
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert default_threads(1) == 4 and default_threads(4) == 3 and default_threads(16) == 1
