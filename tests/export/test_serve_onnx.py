"""`textclass serve --backend onnx`: the same endpoints answered from the run's ONNX export."""
import pytest

pytest.importorskip("fastapi")


def test_the_service_answers_from_the_export(family_run, exported):
    from fastapi.testclient import TestClient

    from textclass.serve import create_app

    clf, run = family_run("ngram")
    exported("ngram")
    texts = ["the bank raised the loan rate", "bake the bread in the oven", "the coach praised the team"]
    with TestClient(create_app(run, backend="onnx")) as client:
        body = client.post("/v1/predict", json={"texts": texts, "top_k": 3}).json()
        metadata = client.get("/v1/metadata").json()
        explained = client.post("/v1/predict", json={"text": "oven", "explain": True})
    expected = clf.predict_proba(texts)
    assert [p["label"] for p in body["predictions"]] == clf.predict(texts)
    for prediction, row in zip(body["predictions"], expected):
        assert prediction["confidence"] == pytest.approx(float(row.max()), abs=1e-4)
    assert metadata["backend"] == "onnx (fp32)" and metadata["explains"] is False
    assert metadata["labels"] == clf.labels_ and metadata["name"] == "ngram_v1"
    assert explained.status_code == 200  # a model that cannot explain says so instead of failing


def test_a_run_without_export_is_refused_before_serving(copy_of_run):
    from textclass.errors import ArtifactError
    from textclass.serve import create_app

    with pytest.raises(ArtifactError, match="no ONNX export"):
        create_app(copy_of_run("ngram"), backend="onnx")
