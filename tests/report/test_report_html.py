"""report.html: written by train and evaluate, self-contained, and its figures render in a real browser."""
from pathlib import Path

import pytest

from textclass.report import build_report

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TEST_FIGURES = 7  # training curves, confusion, per-class bars, reliability, ROC/PR, coverage, length


@pytest.fixture(scope="module")
def report_run(tmp_path_factory, topic_files, cli):
    run = tmp_path_factory.mktemp("report") / "run"
    result = cli("train", "--train", topic_files["train_csv"], "--test", topic_files["test_csv"], "--text-column",
                 "body", "--label-column", "queue", "--model", "ngram", "--num-buckets", 65536, "--epochs", 3,
                 "--batch-size", 16, "--no-progress", "--out", run)
    assert result.code == 0, result.err
    return run


def test_train_writes_a_self_contained_report(report_run):
    html = (report_run / "report.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == TEST_FIGURES
    assert "http://" not in html and "https://" not in html  # nothing fetched from elsewhere
    for section in ("Confusion matrix", "Calibration", "ROC", "Coverage against accuracy", "Most confident mistakes",
                    "Accuracy by text length", "15 equal-width bins"):
        assert section in html


def test_evaluate_rewrites_the_report_for_its_data(report_run, topic_files, cli):
    before = (report_run / "report.html").stat().st_mtime_ns
    result = cli("evaluate", report_run, "--test", topic_files["test_jsonl"], "--text-column", "msg",
                 "--label-column", "team")
    assert result.code == 0, result.err
    html = (report_run / "report.html").read_text(encoding="utf-8")
    assert (report_run / "report.html").stat().st_mtime_ns != before and "test.jsonl" in html


def test_a_run_without_test_data_gets_the_training_sections(fitted):
    html = build_report(fitted, None, title="no test")
    assert html.count("data:image/png;base64,") == 1 and "No test set" in html


def test_figures_render_in_headless_chromium(report_run, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"no {CHROMIUM}")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto((report_run / "report.html").resolve().as_uri())
            page.wait_for_load_state("load")
            widths = page.evaluate("Array.from(document.images).map(image => image.complete ? image.naturalWidth : 0)")
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert len(widths) == TEST_FIGURES and all(width > 0 for width in widths), widths
    assert (tmp_path / "report.png").stat().st_size > 10_000
