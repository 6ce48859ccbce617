"""The sign-and-tree model as an OpenAI-compatible upstream for a gateway to proxy.

    python examples/model/serve.py --port 8100 [--host 127.0.0.1]     # prints "serving <url>"

POST /v1/chat/completions   OpenAI chat body (model, messages, max_tokens, stream); the last user
                            message is read by model.reply(); usage counts whitespace tokens
POST /invoke                {"task": "sign", "caption": ...} or
                            {"task": "health", "species": ..., "trunk_cm": ..., "height_m": ...}
                            -> {"label": ..., "probability": ...}
GET  /healthz               {"status": "ok", "model": ...}

Errors are OpenAI-shaped, {"error": {"message", "type", "param", "code"}}: 400 for a body that
is not a JSON object and for any bad chat request (as OpenAI answers), 422 for an /invoke body
whose fields are wrong. The weights are read once at start; a request does no file IO.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

sys.dont_write_bytecode = True  # no __pycache__/ left in the model's registered folder
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from model import Model, count_tokens, load  # noqa: E402


class BadRequest(Exception):
    def __init__(self, status: int, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param = status, message, param


def error(status: int, message: str, param: str | None = None) -> JSONResponse:
    body = {"message": message, "type": "invalid_request_error", "param": param, "code": None}
    return JSONResponse({"error": body}, status_code=status)


async def json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise BadRequest(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "the body must be a JSON object")
    return body


def text_of(content: Any) -> str:
    """A message's text: a string, or OpenAI's list of parts ({"type": "text", "text": ...})."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if all(isinstance(p, str) for p in parts):
            return " ".join(str(p) for p in parts)
    if content is None:
        return ""
    raise BadRequest(400, "message content must be a string or a list of text parts", "messages")


def positive_int(body: dict[str, Any], name: str) -> int | None:
    v = body.get(name)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise BadRequest(400, f"{name} must be a positive integer", name)
    return v


Chat = tuple[str, str, int, int | None, bool]


def chat_request(body: dict[str, Any], default_model: str) -> Chat:
    """(model, user text, prompt tokens, max tokens, stream) from an OpenAI chat body."""
    model = body.get("model", default_model)
    if not isinstance(model, str) or not model:
        raise BadRequest(400, "model must be a non-empty string", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest(400, "messages must be a non-empty list", "messages")
    texts: list[tuple[str, str]] = []
    for m in messages:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise BadRequest(400, "each message must be an object with a role", "messages")
        texts.append((m["role"], text_of(m.get("content"))))
    user = [t for role, t in texts if role == "user"]
    if not user:
        raise BadRequest(400, "messages must include a user message", "messages")
    limit = positive_int(body, "max_completion_tokens") or positive_int(body, "max_tokens")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest(400, "stream must be a boolean", "stream")
    prompt_tokens = sum(count_tokens(t) for _, t in texts)
    return model, user[-1], prompt_tokens, limit, stream


def number(body: dict[str, Any], name: str) -> float:
    v = body.get(name)
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise BadRequest(422, f"{name} must be a number", name)
    return float(v)


def text_field(body: dict[str, Any], name: str) -> str:
    v = body.get(name)
    if not isinstance(v, str) or not v.strip():
        raise BadRequest(422, f"{name} must be a non-empty string", name)
    return v


def invoke(model: Model, body: dict[str, Any]) -> dict[str, Any]:
    task = body.get("task")
    try:
        if task == "sign":
            label, p = model.predict_sign(text_field(body, "caption"))
        elif task == "health":
            label, p = model.predict_health(
                text_field(body, "species"), number(body, "trunk_cm"), number(body, "height_m")
            )
        else:
            raise BadRequest(422, 'task must be "sign" or "health"', "task")
    except ValueError as e:  # the model's own reading of the values (species, ranges, words)
        raise BadRequest(422, str(e)) from None
    return {"label": label, "probability": round(p, 6)}


def sse(obj: dict[str, Any] | str) -> bytes:
    data = obj if isinstance(obj, str) else json.dumps(obj, separators=(",", ":"))
    return f"data: {data}\n\n".encode()


def create_app(model: Model) -> FastAPI:
    app = FastAPI(title=model.name, docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(BadRequest)
    async def _bad(_: Request, e: BadRequest) -> Response:
        return error(e.status, e.message, e.param)

    @app.get("/healthz")
    async def healthz() -> Response:
        return JSONResponse({"status": "ok", "model": model.name})

    @app.post("/invoke")
    async def invoke_route(request: Request) -> Response:
        return JSONResponse(invoke(model, await json_object(request)))

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        name, text, prompt_tokens, limit, stream = chat_request(
            await json_object(request), model.name
        )
        answer, finish = model.reply(text), "stop"
        if limit is not None and count_tokens(answer) > limit:
            answer, finish = " ".join(answer.split()[:limit]), "length"
        completion_tokens = count_tokens(answer)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

        def head(kind: str) -> dict[str, Any]:
            return {"id": cid, "object": kind, "created": created, "model": name}

        if not stream:
            return JSONResponse(
                {
                    **head("chat.completion"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": answer},
                            "logprobs": None,
                            "finish_reason": finish,
                        }
                    ],
                    "usage": usage,
                }
            )

        def chunk(delta: dict[str, Any], reason: str | None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}
            return sse({**head("chat.completion.chunk"), "choices": [choice]})

        async def events() -> AsyncIterator[bytes]:
            # OpenAI's order: role, content pieces, finish_reason, usage (no choices), [DONE].
            yield chunk({"role": "assistant", "content": ""}, None)
            for piece in re.findall(r"\S+\s*", answer):
                yield chunk({"content": piece}, None)
            yield chunk({}, finish)
            yield sse({**head("chat.completion.chunk"), "choices": [], "usage": usage})
            yield sse("[DONE]")

        return StreamingResponse(
            events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    return app


class Server(uvicorn.Server):
    """uvicorn that prints `serving <url>` once its socket accepts connections."""

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.should_exit:
            return
        host, port = self.servers[0].sockets[0].getsockname()[:2]
        print(f"serving http://{f'[{host}]' if ':' in host else host}:{port}", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="Serve the sign-and-tree model over HTTP.")
    ap.add_argument("--port", type=int, required=True, help="0 picks a free port")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--model", type=Path, default=HERE, help="folder holding weights.json")
    args = ap.parse_args(argv)
    app = create_app(load(args.model))
    config = uvicorn.Config(
        app, host=args.host, port=args.port, log_level="warning", access_log=False
    )
    Server(config).run()


if __name__ == "__main__":
    main()
