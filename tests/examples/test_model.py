"""The example model (examples/model): training reproduces the committed weights and card, the
predictions and held-out accuracy hold, and serve.py answers over real HTTP as an
OpenAI-compatible upstream. No chain."""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "examples" / "model"
DATA = ROOT / "examples" / "datasets"
# No __pycache__/ in examples/model: it would show up in the folder a test registers.
ENV = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def import_model() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seedbed_example_model", MODEL / "model.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    was, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = was
    return module


@pytest.fixture(scope="module")
def model() -> Any:
    return import_model().load(MODEL)


def signs(split: str) -> list[dict[str, Any]]:
    path = DATA / "street-signs" / "annotations" / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def trees(district: str) -> list[dict[str, str]]:
    with (DATA / "city-trees" / "census" / f"{district}.csv").open() as f:
        return list(csv.DictReader(f))


def health_of(model: Any, row: dict[str, str]) -> tuple[str, float]:
    return model.predict_health(row["species"], float(row["trunk_cm"]), float(row["height_m"]))


# -- training ----------------------------------------------------------------------------------


def same_to_the_last_digit(a: Any, b: Any, where: str = "weights") -> None:
    """Equal structure and strings; floats equal to 1 unit in their 6th significant digit
    (byte-identical on one machine; the margin absorbs another BLAS's last-bit noise)."""
    assert type(a) is type(b), where
    if isinstance(a, dict):
        assert sorted(a) == sorted(b), where
        for k in a:
            same_to_the_last_digit(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same_to_the_last_digit(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        # abs_tol: a coefficient the solver drives to ~1e-7 carries only solver noise (its
        # last digits moved between runs on a loaded machine); it changes no prediction
        assert math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6), (where, a, b)
    else:
        assert a == b, where


def test_training_reproduces_the_committed_weights_and_model_card(tmp_path):
    shutil.copy(MODEL / "README.md", tmp_path / "README.md")
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, str(MODEL / "train.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, env=ENV, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert time.perf_counter() - started < 30  # ~1 s here; the brief's budget is 10 s
    fresh, committed = tmp_path / "weights.json", MODEL / "weights.json"
    same_to_the_last_digit(json.loads(fresh.read_text()), json.loads(committed.read_text()))
    assert (tmp_path / "README.md").read_text() == (MODEL / "README.md").read_text()
    assert "| sign | street-signs test.jsonl | 60 | 100.0% |" in run.stdout
    assert not (MODEL / "__pycache__").exists()


def test_weights_are_plain_json_and_inference_needs_numpy_only():
    weights = json.loads((MODEL / "weights.json").read_text())
    assert weights["format"] == "seedbed-linear-v1"
    assert set(weights) == {"format", "name", "trained_on", "sign", "health"}
    assert not (MODEL / "weights.bin").exists()
    config = json.loads((MODEL / "config.json").read_text())
    assert config["weights"] == "weights.json" and config["name"] == weights["name"]
    assert config["heads"]["sign"]["classes"] == len(weights["sign"]["classes"]) == 10
    assert config["heads"]["health"]["classes"] == len(weights["health"]["classes"]) == 3
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import model; m = model.load(sys.argv[1]);"
        "m.predict_sign('a stop sign'); m.predict_health('Tilia cordata', 50, 10);"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('sklearn', 'scipy')))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, str(MODEL)], capture_output=True, text=True, env=ENV,
        check=True, timeout=60,
    )  # fmt: skip
    assert run.stdout.strip() == "[]"


# -- predictions and accuracy ------------------------------------------------------------------


def test_known_held_out_sign_captions(model):
    for row in signs("test")[:10]:
        label, p = model.predict_sign(row["caption"])
        assert label == row["label"] and p > 0.9, row
    assert model.predict_sign("a no entry sign at a junction")[0] == "no entry"
    for text, label in [
        ("no parking", "no parking"),
        ("a speed limit 50 sign", "speed limit 50"),
        ("pedestrian crossing ahead", "pedestrian crossing"),
        ("Stop!", "stop"),
        ("one way street", "one way"),
    ]:
        assert model.predict_sign(text)[0] == label, text
    with pytest.raises(ValueError, match="no word the sign model knows"):
        model.predict_sign("hello there")


def test_known_held_out_trees_are_pinned(model):
    """The shipped model's outputs on the first west trees (held out). Health is at chance on
    this census (README.md), so these pin the model, they do not claim it is right."""
    got = [(label, round(p, 3)) for label, p in (health_of(model, r) for r in trees("west")[:3])]
    assert got == [("good", 0.393), ("good", 0.5), ("good", 0.405)]
    assert model.predict_health("prunus AVIUM", 64, 21.5) == model.predict_health(
        "Prunus avium", 64, 21.5
    )
    with pytest.raises(ValueError, match="unknown species 'Pinus'"):
        model.predict_health("Pinus", 64, 21.5)
    with pytest.raises(ValueError, match="trunk_cm must be positive"):
        model.predict_health("Prunus avium", 0, 21.5)
    with pytest.raises(ValueError, match="height_m must be a finite number"):
        model.predict_health("Prunus avium", 64, float("nan"))


def test_held_out_accuracy_floors(model):
    # Signs: 100% measured on both splits (the captions are one template); chance is 10%.
    for split in ("validation", "test"):
        rows = signs(split)
        hits = sum(model.predict_sign(r["caption"])[0] == r["label"] for r in rows)
        assert hits / len(rows) >= 0.95, split
    # Health: measured 33.3% on west (majority class 32.5%, chance 33.3%): the census has no
    # signal to learn, so no floor above chance can hold. What must hold is that the head
    # does not claim a confidence it lacks, and that the figure is the card's.
    west = trees("west")
    predicted = [health_of(model, r) for r in west]
    accuracy = sum(p[0] == r["health"] for p, r in zip(predicted, west, strict=True)) / len(west)
    assert accuracy == pytest.approx(40 / 120)
    assert f"| {100 * accuracy:.1f}% |" in (MODEL / "README.md").read_text()
    assert sum(p for _, p in predicted) / len(predicted) < 0.5


def test_reply_reads_free_text(model):
    assert model.reply("a no entry sign at a junction") == (
        "That reads as a no entry sign (probability 0.97)."
    )
    assert model.reply("Prunus avium, trunk 64 cm, height 21.5 m") == (
        "A Prunus avium with a 64 cm trunk and 21.5 m height is predicted to be in good "
        "health (probability 0.39)."
    )
    assert "Quercus robur with a 120 cm trunk and 30 m height" in model.reply(
        "a Quercus, 120cm around, 30 m tall"
    )
    assert model.reply("Tilia cordata trunk 30").startswith("For Tilia cordata I also need")
    assert model.reply("hello").startswith("Describe a street sign")
    assert import_model().count_tokens("  a  no entry\nsign ") == 4


# -- serve.py over HTTP ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """serve.py as a real process on a free port (--port 0: the OS picks, no race)."""
    proc = subprocess.Popen(
        [sys.executable, str(MODEL / "serve.py"), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        deadline, line = time.monotonic() + 60, ""
        while not line and time.monotonic() < deadline and proc.poll() is None:
            if select.select([proc.stdout], [], [], 0.5)[0]:
                line = proc.stdout.readline()
        assert line.startswith("serving http://127.0.0.1:"), (line, proc.poll())
        yield line.split()[1]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def http(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=10) as client:
        yield client


CHAT = {"model": "sign-tree-model", "messages": [{"role": "user", "content": "a stop sign"}]}


def test_healthz(http):
    r = http.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok", "model": "sign-tree-model"}


def test_chat_completion(http):
    body = {
        "model": "sign-tree-model",
        "messages": [
            {"role": "system", "content": "You read street signs."},
            {"role": "user", "content": [{"type": "text", "text": "a no entry sign"}]},
        ],
        "max_tokens": 64,
    }
    r = http.post("/v1/chat/completions", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["object"] == "chat.completion" and out["id"].startswith("chatcmpl-")
    assert out["model"] == "sign-tree-model" and isinstance(out["created"], int)
    (choice,) = out["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"] == {
        "role": "assistant",
        "content": "That reads as a no entry sign (probability 0.97).",
    }
    # whitespace tokens: system 4 + user 4; the answer 9
    assert out["usage"] == {"prompt_tokens": 8, "completion_tokens": 9, "total_tokens": 17}


def sse_events(r: httpx.Response) -> list[Any]:
    events = []
    for line in r.iter_lines():
        if line:
            assert line.startswith("data: "), line
            data = line[len("data: ") :]
            events.append(data if data == "[DONE]" else json.loads(data))
    return events


def test_chat_completion_streamed(http):
    tree = {"role": "user", "content": "Prunus avium, trunk 64 cm, height 21.5 m"}
    plain = http.post("/v1/chat/completions", json={**CHAT, "messages": [tree]}).json()
    with http.stream(
        "POST", "/v1/chat/completions", json={**CHAT, "messages": [tree], "stream": True}
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r)
    assert events[-1] == "[DONE]"
    *chunks, usage, _ = events
    assert {e["object"] for e in chunks + [usage]} == {"chat.completion.chunk"}
    assert len({e["id"] for e in chunks + [usage]}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [c["choices"][0]["finish_reason"] for c in chunks][-2:] == [None, "stop"]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == plain["choices"][0]["message"]["content"]
    assert text.startswith("A Prunus avium with a 64 cm trunk")
    assert usage["choices"] == [] and usage["usage"] == plain["usage"]
    assert usage["usage"]["prompt_tokens"] == 8


def test_max_tokens_cuts_the_answer(http):
    for stream in (False, True):
        r = http.post("/v1/chat/completions", json={**CHAT, "max_tokens": 3, "stream": stream})
        if stream:
            *chunks, usage, _ = [
                json.loads(line[6:]) if line != "data: [DONE]" else None
                for line in r.text.splitlines()
                if line
            ]
            assert chunks[-1]["choices"][0]["finish_reason"] == "length"
            assert usage["usage"]["completion_tokens"] == 3
        else:
            out = r.json()
            assert out["choices"][0]["message"]["content"] == "That reads as"
            assert out["choices"][0]["finish_reason"] == "length"
            assert out["usage"] == {"prompt_tokens": 3, "completion_tokens": 3, "total_tokens": 6}


def test_invoke(http):
    r = http.post("/invoke", json={"task": "sign", "caption": "a speed limit 50 sign"})
    assert r.status_code == 200 and r.json() == {"label": "speed limit 50", "probability": 0.962976}
    body = {"task": "health", "species": "Prunus avium", "trunk_cm": 64, "height_m": 21.5}
    r = http.post("/invoke", json=body)
    assert r.status_code == 200 and r.json() == {"label": "good", "probability": 0.393287}


HEALTH = {"task": "health", "species": "Prunus avium", "trunk_cm": 64, "height_m": 21.5}


@pytest.mark.parametrize(
    "path, body, status, message",
    [
        ("/invoke", b"{not json", 400, "the body is not valid JSON"),
        ("/invoke", [1, 2], 400, "the body must be a JSON object"),
        ("/invoke", {"task": "colour"}, 422, 'task must be "sign" or "health"'),
        ("/invoke", {"task": "sign"}, 422, "caption must be a non-empty string"),
        ("/invoke", {"task": "sign", "caption": "zzz"}, 422, "no word the sign model knows"),
        ("/invoke", {**HEALTH, "species": "Pinus"}, 422, "unknown species 'Pinus'; known: Acer"),
        ("/invoke", {**HEALTH, "trunk_cm": "64"}, 422, "trunk_cm must be a number"),
        ("/invoke", {**HEALTH, "height_m": -1}, 422, "height_m must be positive"),
        ("/v1/chat/completions", {"model": "m"}, 400, "messages must be a non-empty list"),
        ("/v1/chat/completions", {**CHAT, "messages": [{"role": "system", "content": "x"}]},
         400, "messages must include a user message"),
        ("/v1/chat/completions", {**CHAT, "max_tokens": 0}, 400,
         "max_tokens must be a positive integer"),
        ("/v1/chat/completions", {**CHAT, "stream": "yes"}, 400, "stream must be a boolean"),
        ("/v1/chat/completions", {**CHAT, "model": 7}, 400, "model must be a non-empty string"),
    ],
)  # fmt: skip
def test_bad_input_is_a_clear_json_error(http, path, body, status, message):
    if isinstance(body, bytes):
        r = http.post(path, content=body, headers={"content-type": "application/json"})
    else:
        r = http.post(path, json=body)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert message in error["message"] and error["type"] == "invalid_request_error"
