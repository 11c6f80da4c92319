"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions, the OpenAI Responses
and the Anthropic messages protocols and answers from a script: for testing anything that talks to
a model.

The SDKs, their HTTP clients, timeouts and status handling all run for real; only the model is
scripted. Each request takes the next entry of the script: a reply text, a function of the
request, :class:`Status` (an HTTP error) or :class:`Stall` (answer late, to trigger timeouts).
When the script is empty, ``default`` answers, else the server refuses with HTTP 418 so that a
test that makes more calls than it scripted fails loudly.

Replies are text only (no tool calls), and nothing streams: a request with ``"stream": true`` is
refused with HTTP 400 and says so. The OpenAI Agents SDK's ``Runner.run`` and pydantic-ai's
``Agent.run`` (both on the Responses API by default for OpenAI models) ask for whole responses.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A request as the server saw it, the same shape for every protocol (system turn first).

    For the Responses API, ``instructions`` is the system turn, each input message a turn, and a
    tool's output (``function_call_output``) a ``tool`` turn."""

    protocol: str  # "openai" | "openai-responses" | "anthropic"
    model: str
    messages: list[dict[str, str]]
    body: dict[str, Any]

    @property
    def prompt(self) -> str:
        return "\n".join(m["content"] for m in self.messages)


@dataclass(frozen=True, slots=True)
class Status:
    """Answer with an HTTP error (429, 500...), optionally with headers such as Retry-After."""

    code: int
    message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stall:
    """Wait ``seconds`` before answering with ``then`` (the client should have timed out)."""

    seconds: float
    then: str = '{"memories": []}'


Reply = str | Callable[[ChatRequest], str] | Status | Stall


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # chat parts ("text"), Responses parts ("input_text", "output_text")
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _responses_turns(body: dict[str, Any]) -> list[dict[str, str]]:
    turns = (
        [{"role": "system", "content": _text_of(body["instructions"])}] if body.get("instructions") else []
    )
    given = body.get("input", [])
    for item in [{"role": "user", "content": given}] if isinstance(given, str) else given:
        if not isinstance(item, dict):
            continue
        if "role" in item:  # a message, with or without "type": "message"
            turns.append({"role": str(item["role"]), "content": _text_of(item.get("content"))})
        elif item.get("type") == "function_call_output":
            turns.append({"role": "tool", "content": _text_of(item.get("output"))})
    return turns


def _normalise(protocol: str, body: dict[str, Any]) -> ChatRequest:
    if protocol == "openai-responses":
        return ChatRequest(protocol, str(body.get("model", "")), _responses_turns(body), body)
    messages = [{"role": m.get("role", ""), "content": _text_of(m.get("content"))} for m in body["messages"]]
    if protocol == "anthropic" and body.get("system"):
        messages.insert(0, {"role": "system", "content": _text_of(body["system"])})
    return ChatRequest(protocol, str(body.get("model", "")), messages, body)


def _approx_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def reply_json(*decisions: dict[str, Any]) -> str:
    """A well-formed extractor reply carrying these decisions (``{"action": "ADD", ...}``)."""
    return json.dumps({"memories": list(decisions)})


def offered(request: ChatRequest) -> list[dict[str, Any]]:
    """The existing memories an extractor prompt offered, as the model read them."""
    data = request.messages[1]["content"]
    if "<existing_memories>" not in data:
        return []
    block = data.split("<existing_memories>", 1)[1].split("</existing_memories>", 1)[0]
    return [json.loads(line) for line in block.splitlines() if line.strip()]


def ref_of(request: ChatRequest, fragment: str) -> int:
    """The ref an extractor prompt gave the existing memory containing ``fragment``."""
    for row in offered(request):
        if fragment.casefold() in str(row["text"]).casefold():
            return int(row["ref"])
    raise LookupError(f"no offered memory contains {fragment!r}: {offered(request)}")


def _response(request: ChatRequest, text: str, number: int, prompt: int, completion: int) -> dict[str, Any]:
    """A completed Responses API response holding one assistant message with ``text``."""
    body = request.body
    return {
        "id": f"resp_{number}",
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": request.model,
        "output": [
            {
                "type": "message",
                "id": f"msg_{number}",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": text, "annotations": []}],
            }
        ],
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "temperature": body.get("temperature", 1.0),
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "top_p": body.get("top_p", 1.0),
        "truncation": body.get("truncation", "disabled"),
        "metadata": body.get("metadata") or {},
        "text": {"format": {"type": "text"}},
        # the rest of what the API sends: clients read these as attributes, present or not
        "background": False,
        "completed_at": int(time.time()),
        "conversation": None,
        "max_tool_calls": None,
        "prompt": None,
        "prompt_cache_key": None,
        "prompt_cache_retention": None,
        "prompt_cache_diagnostics": None,
        "reasoning": {"effort": None, "summary": None},
        "safety_identifier": None,
        "service_tier": "default",
        "store": True,
        "top_logprobs": 0,
        "user": None,
        "usage": {
            "input_tokens": prompt,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt + completion,
        },
    }


class ScriptedChatServer:
    """Start with ``with ScriptedChatServer() as server:``; point a client at ``server.openai_url``
    (OpenAI SDK ``base_url``) or ``server.url`` (Anthropic SDK ``base_url``)."""

    def __init__(
        self,
        script: list[Reply] | None = None,
        *,
        default: Callable[[ChatRequest], str] | None = None,
        count_tokens: Callable[[str], int] = _approx_tokens,
    ):
        self.script: deque[Reply] = deque(script or [])
        self.default = default
        self.count_tokens = count_tokens
        self.requests: list[ChatRequest] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="scripted-llm", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_url(self) -> str:
        """The OpenAI SDK's ``base_url``: chat completions and the Responses API both live under it."""
        return self.url + "/v1"

    def add(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def _next(self, request: ChatRequest) -> Reply | None:
        with self._lock:
            self.requests.append(request)
            if self.script:
                return self.script.popleft()
        if self.default is not None:
            return self.default
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                return

            def _send(
                self, code: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for key, value in (headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing left to tell it

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                if self.path.endswith("/chat/completions"):
                    protocol = "openai"
                elif self.path.endswith("/responses"):
                    protocol = "openai-responses"
                elif self.path.endswith("/messages"):
                    protocol = "anthropic"
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})
                    return
                if body.get("stream"):
                    message = "the scripted server does not stream: ask for the whole response"
                    self._send(400, server._error(protocol, Status(400, message)))
                    return
                request = _normalise(protocol, body)
                reply = server._next(request)
                if isinstance(reply, Stall):
                    time.sleep(reply.seconds)
                    reply = reply.then
                if reply is None:
                    reply = Status(418, "the script is exhausted: the test made more calls than it scripted")
                if isinstance(reply, Status):
                    self._send(reply.code, server._error(protocol, reply), reply.headers)
                    return
                text = reply if isinstance(reply, str) else reply(request)
                self._send(200, server._success(request, text))

        return Handler

    def _error(self, protocol: str, status: Status) -> dict[str, Any]:
        kind = {400: "invalid_request_error", 429: "rate_limit_error"}.get(status.code, "api_error")
        if protocol == "anthropic":
            return {"type": "error", "error": {"type": kind, "message": status.message}}
        return {"error": {"message": status.message, "type": kind, "code": None}}

    def _success(self, request: ChatRequest, text: str) -> dict[str, Any]:
        prompt_tokens = self.count_tokens(request.prompt)
        completion_tokens = self.count_tokens(text)
        if request.protocol == "openai-responses":
            return _response(request, text, len(self.requests), prompt_tokens, completion_tokens)
        if request.protocol == "anthropic":
            return {
                "id": f"msg_{len(self.requests)}",
                "type": "message",
                "role": "assistant",
                "model": request.model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": prompt_tokens, "output_tokens": completion_tokens},
            }
        return {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedChatServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
