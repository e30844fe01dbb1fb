"""Request and response bodies of the HTTP API (pydantic models; FastAPI turns them into the OpenAPI docs)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator


class PredictRequest(BaseModel):
    """One text (``text``) or a list of them (``texts``), not both."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "A moving, beautifully acted film."},
        {"texts": ["Loved it.", "Two hours I will never get back."], "top_k": 2},
    ]})

    text: StrictStr | None = Field(None, description="a single text to classify")
    texts: list[StrictStr] | None = Field(None, min_length=1, description="several texts, answered in order")
    top_k: StrictInt = Field(3, ge=1, description="how many labels to list per text, most probable first "
                                                  "(at most every label)")
    explain: StrictBool = Field(False, description="add each token's weight, for models that can explain "
                                                   "(see /v1/metadata `explains`)")

    @model_validator(mode="after")
    def _one_of_text_or_texts(self):
        if (self.text is None) == (self.texts is None):
            raise ValueError("give exactly one of `text` (a string) or `texts` (a list of strings)")
        return self

    def all_texts(self) -> list[str]:
        return [self.text] if self.text is not None else list(self.texts)


class LabelProbability(BaseModel):
    label: str
    probability: float


class TextPrediction(BaseModel):
    label: str = Field(description="the most probable label")
    confidence: float = Field(description="its probability")
    top_k: list[LabelProbability]
    empty: bool = Field(description="the text is empty or only whitespace: the answer reflects the model's prior, "
                                    "not the text")
    tokens: list[tuple[str, float]] | None = Field(None, description="(token, weight) pairs when `explain` was "
                                                                     "asked; null if the model cannot explain")


class ModelInfo(BaseModel):
    name: str = Field(description="the model family's versioned registry name, e.g. ngram_v1")
    run: str = Field(description="the run directory's name")
    run_id: str = Field(description="first 12 hex digits of the SHA-256 of the run's config, labels and weights")
    textclass_version: str


class PredictResponse(BaseModel):
    model: ModelInfo
    predictions: list[TextPrediction]


class Health(BaseModel):
    status: str
    model: ModelInfo
