"""The HTTP API on a tiny ngram run, through FastAPI's TestClient (no socket, the app's real lifespan)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from textclass.errors import ConfigError

LABELS = ["cooking", "finance", "sports"]


def test_single_text(client):
    response = client.post("/v1/predict", json={"text": "we bake bread in the oven with flour"})
    assert response.status_code == 200
    body = response.json()
    assert body["model"]["name"] == "ngram_v1" and body["model"]["run"] == "ngram-run"
    assert len(body["model"]["run_id"]) == 12
    (prediction,) = body["predictions"]
    assert prediction["label"] == "cooking"
    assert prediction["top_k"][0] == {"label": "cooking", "probability": prediction["confidence"]}
    assert len(prediction["top_k"]) == 3 and prediction["empty"] is False
    assert "tokens" not in prediction  # not asked for


def test_list_keeps_order_and_top_k(client):
    texts = ["the team scored a goal", "invest in the stock market", "simmer the sauce"]
    body = client.post("/v1/predict", json={"texts": texts, "top_k": 2}).json()
    assert [p["label"] for p in body["predictions"]] == ["sports", "finance", "cooking"]
    for p in body["predictions"]:
        probabilities = [entry["probability"] for entry in p["top_k"]]
        assert len(probabilities) == 2 and probabilities == sorted(probabilities, reverse=True)


def test_probabilities_match_the_python_api(client, ngram_run):
    from textclass import TextClassifier

    texts = ["the coach and the referee", "a loan from the bank"]
    body = client.post("/v1/predict", json={"texts": texts, "top_k": 3}).json()
    served = [{e["label"]: e["probability"] for e in p["top_k"]} for p in body["predictions"]]
    expected = TextClassifier.load(ngram_run).predict_proba(texts)
    np.testing.assert_allclose([[row[label] for label in LABELS] for row in served], expected, atol=1e-6)


def test_top_k_beyond_the_labels_lists_every_label(client):
    body = client.post("/v1/predict", json={"text": "bond", "top_k": 50}).json()
    assert sorted(e["label"] for e in body["predictions"][0]["top_k"]) == LABELS


def test_empty_text_is_flagged_not_rejected(client):
    body = client.post("/v1/predict", json={"texts": ["", "   ", "oven"]}).json()
    assert [p["empty"] for p in body["predictions"]] == [True, True, False]
    assert all(p["label"] in LABELS for p in body["predictions"])


def test_explain_asked_of_a_model_that_cannot_says_null(client):
    body = client.post("/v1/predict", json={"text": "oven", "explain": True}).json()
    assert body["predictions"][0]["tokens"] is None
    assert client.get("/v1/metadata").json()["explains"] is False


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["model"]["name"] == "ngram_v1"


def test_metadata(client, ngram_run):
    body = client.get("/v1/metadata").json()
    assert body["labels"] == LABELS
    assert body["config"]["model"]["name"] == "ngram_v1"
    assert body["config"]["encoder"]["params"]["num_buckets"] == 1 << 12
    saved = json.loads((ngram_run / "metrics.json").read_text())
    assert body["metrics"]["accuracy"] == saved["accuracy"]
    assert body["serving"]["max_texts"] == 8


def test_metadata_without_metrics_json(ngram_run, tmp_path):
    from fastapi.testclient import TestClient

    from textclass import TextClassifier
    from textclass.serve import create_app

    # Saved again without metrics (deleting metrics.json from a run would fail its manifest check).
    run = TextClassifier.load(ngram_run).save(tmp_path / "run")
    with TestClient(create_app(run)) as c:
        assert c.get("/v1/metadata").json()["metrics"] is None


@pytest.mark.parametrize("body, where", [
    ({"texts": ["oven"] * 9}, "9 texts; the limit is 8 (max_texts)"),
    ({"text": "x" * 201}, "text 0 has 201 bytes"),
    ({"texts": ["ok", "é" * 101]}, "text 1 has 202 bytes"),  # bytes, not characters
])
def test_request_limits_give_413(client, body, where):
    response = client.post("/v1/predict", json=body)
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["status"] == 413 and error["code"] == "payload_too_large" and where in error["message"]


def test_body_limit_gives_413_by_content_length_and_when_chunked(client):
    response = client.post("/v1/predict", content=b"x" * 5000, headers={"content-type": "application/json"})
    assert response.status_code == 413 and "max_body_bytes" in response.json()["error"]["message"]

    def chunks():  # no Content-Length: the limit must catch the bytes as they arrive
        for _ in range(10):
            yield b"x" * 1000

    response = client.post("/v1/predict", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize("content, code, where", [
    (b'{"text": "unterminated', "malformed_json", "not valid JSON"),
    (b'{"text": 5}', "invalid_request", "body.text"),
    (b'{"texts": "not a list"}', "invalid_request", "body.texts"),
    (b'{"texts": ["ok", null]}', "invalid_request", "body.texts.1"),
    (b'{"texts": []}', "invalid_request", "body.texts"),
    (b'{"text": "a", "texts": ["b"]}', "invalid_request", "exactly one of"),
    (b'{}', "invalid_request", "exactly one of"),
    (b'{"text": "a", "top_k": 0}', "invalid_request", "body.top_k"),
    (b'{"text": "a", "top_k": "2"}', "invalid_request", "body.top_k"),
    (b'{"text": "a", "colour": "red"}', "invalid_request", "body.colour"),
    (b'["a list"]', "invalid_request", ""),
])
def test_malformed_requests_give_422_with_a_json_error(client, content, code, where):
    response = client.post("/v1/predict", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code and where in error["message"] and error["details"]


def test_unknown_path_gives_a_json_404(client):
    response = client.get("/v2/nothing")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_metrics_count_requests_latency_batches_and_errors(client):
    client.post("/v1/predict", json={"texts": ["oven", "goal"]})
    client.post("/v1/predict", content=b"{", headers={"content-type": "application/json"})
    text = client.get("/metrics").text
    lines = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
             if line and not line.startswith("#")}
    assert lines['textclass_requests_total{endpoint="/v1/predict",method="POST",status="200"}'] >= 1
    assert lines['textclass_requests_total{endpoint="/v1/predict",method="POST",status="422"}'] >= 1
    assert lines['textclass_request_latency_seconds_count{endpoint="/v1/predict"}'] >= 2
    assert lines["textclass_batch_size_texts_count"] >= 1 and lines["textclass_batch_size_texts_sum"] >= 2
    assert lines["textclass_texts_predicted_total"] >= 2
    client.get("/static/app.js")
    client.get("/no/such/page")
    text = client.get("/metrics").text
    assert 'textclass_requests_total{endpoint="/static",method="GET",status="200"}' in text
    assert 'textclass_requests_total{endpoint="unmatched",method="GET",status="404"}' in text
    assert "# TYPE textclass_prediction_errors_total counter" in text


class Exploding:
    """A predictor whose model fails on a chosen text: the failure must stay inside its request."""

    labels = ["a", "b"]
    explains = False

    def predict_proba(self, texts):
        if "boom" in texts:
            raise RuntimeError("kaboom")
        return np.tile([0.25, 0.75], (len(texts), 1))

    def explain(self, texts):
        raise AssertionError("never asked")

    def metadata(self):
        return {"name": "fake_v1", "run": "fake", "run_id": "0" * 12, "textclass_version": "0", "labels": self.labels,
                "explains": False, "config": {}, "metrics": None}

    def decide(self, proba):
        return [[int(row.argmax())] for row in proba]


class MultiLabel(Exploding):
    """A multi-label predictor: each text gets the labels its thresholds pass, possibly none."""

    def predict_proba(self, texts):
        return np.array([[0.9, 0.8] if "both" in text else [0.1, 0.2] for text in texts])

    def decide(self, proba):
        return [[j for j, p in enumerate(row) if p >= 0.5] for row in proba]

    def metadata(self):
        return {**super().metadata(), "config": {"task": "multi_label"}}


def test_multi_label_runs_serve_their_label_sets():
    from fastapi.testclient import TestClient

    from textclass.serve import create_app

    with TestClient(create_app(predictor=MultiLabel())) as c:
        both, none = c.post("/v1/predict", json={"texts": ["both please", "neither"]}).json()["predictions"]
    assert both["labels"] == ["a", "b"] and both["label"] == "a" and both["confidence"] == 0.9
    assert none["labels"] == [] and none["label"] is None and none["confidence"] is None


def test_abstain_below_answers_uncertain(client):
    sure = client.post("/v1/predict", json={"text": "we bake bread in the oven with flour"}).json()["predictions"][0]
    body = client.post("/v1/predict", json={"text": "we bake bread in the oven with flour",
                                            "abstain_below": 1.0}).json()
    assert body["predictions"][0]["label"] == "uncertain"
    assert body["predictions"][0]["confidence"] == sure["confidence"]
    assert client.post("/v1/predict", json={"text": "x", "abstain_below": 1.5}).status_code == 422


def test_the_server_survives_a_failing_model():
    from fastapi.testclient import TestClient

    from textclass.serve import create_app

    with TestClient(create_app(predictor=Exploding())) as c:
        response = c.post("/v1/predict", json={"text": "boom"})
        assert response.status_code == 500
        assert response.json()["error"]["code"] == "prediction_failed" and "RuntimeError" in response.json()["error"]["message"]
        assert c.post("/v1/predict", json={"text": "fine"}).json()["predictions"][0]["label"] == "b"
        assert c.get("/health").status_code == 200
        text = c.get("/metrics").text
        assert 'textclass_prediction_errors_total{type="RuntimeError"} 1.0' in text
        assert 'textclass_requests_total{endpoint="/v1/predict",method="POST",status="500"} 1.0' in text


def test_docs_and_openapi(client):
    schema = client.get("/openapi.json").json()
    assert {"/v1/predict", "/health", "/v1/metadata", "/metrics"} <= set(schema["paths"])
    assert "PredictRequest" in schema["components"]["schemas"]
    assert client.get("/docs").status_code == 200


def test_demo_page_and_its_files_are_served(client):
    page = client.get("/")
    assert page.status_code == 200 and 'id="text"' in page.text and "/static/app.js" in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200


def test_explanations_from_a_model_that_can(review_run):
    from fastapi.testclient import TestClient

    from textclass.serve import create_app

    with TestClient(create_app(review_run, explain_max_texts=2)) as c:
        assert c.get("/v1/metadata").json()["explains"] is True
        body = c.post("/v1/predict", json={"text": "a wonderful film", "explain": True}).json()
        tokens = body["predictions"][0]["tokens"]
        assert [token for token, _ in tokens] == ["a", "wonderful", "film"]
        assert sum(weight for _, weight in tokens) == pytest.approx(1, abs=1e-4)
        assert c.post("/v1/predict", json={"texts": ["a"] * 3, "explain": True}).status_code == 413


def test_settings_are_checked(ngram_run):
    from textclass.serve import create_app

    with pytest.raises(ConfigError, match="no setting max_text"):
        create_app(ngram_run, max_text=3)
    with pytest.raises(ConfigError, match="max_batch_size must be at least 1"):
        create_app(ngram_run, max_batch_size=0)
