// The demo page: one text in, the label, a bar per class and (for models that explain) shaded tokens out.
"use strict";

const $ = (id) => document.getElementById(id);
let model = null;

async function loadModel() {
  const response = await fetch("/v1/metadata");
  model = await response.json();
  const accuracy = model.metrics && typeof model.metrics.accuracy === "number"
    ? ` · test accuracy ${(100 * model.metrics.accuracy).toFixed(2)}%` : "";
  $("model").textContent = `${model.name} · run ${model.run} (${model.run_id}) · ${model.labels.length} labels`
    + accuracy;
}

function showError(message) {
  $("status").textContent = message;
  $("status").className = "error";
}

function renderBars(topK) {
  const bars = $("bars");
  bars.replaceChildren();
  topK.forEach((entry, i) => {
    const item = document.createElement("li");
    if (i === 0) item.className = "top";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = entry.label;
    name.title = entry.label;
    const track = document.createElement("span");
    track.className = "track";
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.display = "block";
    fill.style.width = `${(100 * entry.probability).toFixed(1)}%`;
    track.append(fill);
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = `${(100 * entry.probability).toFixed(1)}%`;
    item.append(name, track, value);
    bars.append(item);
  });
}

function renderTokens(tokens) {
  const box = $("tokens");
  box.replaceChildren();
  const top = Math.max(...tokens.map(([, weight]) => weight), 1e-9);
  for (const [token, weight] of tokens) {
    const span = document.createElement("span");
    span.textContent = token;
    span.title = weight.toFixed(4);
    span.style.background = `rgba(255, 140, 0, ${(weight / top).toFixed(3)})`;
    box.append(span, " ");
  }
}

async function classify(event) {
  event.preventDefault();
  if (!model) await loadModel();
  $("submit").disabled = true;
  $("status").className = "muted";
  $("status").textContent = "classifying…";
  try {
    const response = await fetch("/v1/predict", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: $("text").value, top_k: model.labels.length, explain: model.explains }),
    });
    const body = await response.json();
    if (!response.ok) {
      showError(body.error ? body.error.message : `HTTP ${response.status}`);
      return;
    }
    const prediction = body.predictions[0];
    $("label").textContent = prediction.label;
    $("confidence").textContent = `(${(100 * prediction.confidence).toFixed(1)}%)`;
    $("empty-note").hidden = !prediction.empty;
    renderBars(prediction.top_k);
    $("explanation").hidden = !prediction.tokens;
    if (prediction.tokens) renderTokens(prediction.tokens);
    $("result").hidden = false;
    $("status").textContent = "";
  } catch (error) {
    showError(`request failed: ${error}`);
  } finally {
    $("submit").disabled = false;
  }
}

$("form").addEventListener("submit", classify);
$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("form").requestSubmit();
});
loadModel().catch((error) => showError(`cannot read /v1/metadata: ${error}`));
