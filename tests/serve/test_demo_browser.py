"""The demo page for real: `textclass serve` in a subprocess, headless Chromium typing a review into it.

The screenshot lands in the test's tmp_path; with TEXTCLASS_DEMO_SCREENSHOT=PATH set it is also copied there
(the README's docs/serve-demo.png is made that way).
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(review_run, tmp_path):
    port = _free_port()
    log = open(tmp_path / "server.log", "w")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-m", "textclass", "serve", str(review_run), "--port", str(port),
                                "--threads", "1"], stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"textclass serve did not come up:\n{(tmp_path / 'server.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def test_type_a_review_and_see_its_label(server, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 820})
            page.goto(server)
            page.wait_for_function("document.getElementById('model').textContent.includes('bilstm_attn')")
            page.fill("#text", "A wonderful, moving film: the cast was superb and I loved the ending.")
            page.click("#submit")
            page.wait_for_selector("#result:not([hidden])")
            assert page.text_content("#label") == "pos"
            assert page.locator("#bars li").count() == 2
            tokens = page.locator("#tokens span")
            assert "wonderful" in tokens.all_text_contents()
            shot = tmp_path / "serve-demo.png"
            page.screenshot(path=str(shot), full_page=True)

            page.fill("#text", "Dull and predictable, a waste of two hours.")
            page.click("#submit")
            page.wait_for_function("document.getElementById('label').textContent === 'neg'")
        finally:
            browser.close()
    assert shot.stat().st_size > 10_000
    stable = os.environ.get("TEXTCLASS_DEMO_SCREENSHOT")
    if stable:
        shutil.copyfile(shot, stable)
