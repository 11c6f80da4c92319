"""The requests :mod:`memspan.testing.rest_fuzz` sends: a seeded generator of hostile REST calls.

Mostly valid requests spoiled in one place (:meth:`Gen.mutate`), so the hostile value gets past the
request's shape checks and reaches memspan's own validation and the store; the rest is random.
"""

from __future__ import annotations

import json
import random
import urllib.parse
from typing import Any

_NASTY_STRINGS = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\udc80",
    "tea\ud800",
    "\udfff\ud800",
    "\ufeff",
    "\uffff",
    "\u202eevil",
    "e\u0301\u0301\u0301",
    "🙂" * 50,
    "東京の天気",
    "'; DROP TABLE memories; --",
    '" OR 1=1 --',
    "NEAR(a b)",
    'tea* OR "coffee',
    "%00",
    "%ED%B2%80",
    "../../etc/passwd",
    "\n\r\t",
    "null",
    "{}",
    "1e999",
    "alice",
    "bob",
    "alice/../bob",
    "x" * 300,
]
_KEYS = ["user_id", "agent_id", "run_id", "memory", "id", "hash", "k", "note", "\udc80", "a\x00", "", "$or"]
_FILTER_OPS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "contains", "icontains", "\udc80", "bogus"]


class Gen:
    def __init__(self, rng: random.Random, ids: list[str]):
        self.rng = rng
        self.ids = ids

    def string(self) -> str:
        r = self.rng.random()
        if r < 0.55:
            return self.rng.choice(_NASTY_STRINGS)
        if r < 0.85:
            return "".join(
                self.rng.choice("abcdef tea coffee \udc80\x00é東") for _ in range(self.rng.randint(1, 40))
            )
        return "".join(chr(self.rng.randint(1, 0x10FFFF)) for _ in range(self.rng.randint(1, 12)))

    def scalar(self) -> Any:
        return self.rng.choice(
            [
                self.string(),
                self.string(),
                self.rng.randint(-(2**70), 2**70),
                -1,
                0,
                10**6,
                self.rng.random() * 1e300,
                True,
                False,
                None,
            ]
        )

    def value(self, depth: int = 0) -> Any:
        r = self.rng.random()
        if depth > 3 or r < 0.6:
            return self.scalar()
        if r < 0.8:
            return [self.value(depth + 1) for _ in range(self.rng.randint(0, 4))]
        return {
            self.rng.choice([*_KEYS, self.string()]): self.value(depth + 1)
            for _ in range(self.rng.randint(0, 4))
        }

    def scope_id(self) -> Any:
        r = self.rng.random()
        if r < 0.6:
            return "alice"  # mostly a scope the key may use, so requests get past the grant check
        return self.rng.choice(["bob", "carol", None, self.string(), self.scalar()])

    def text(self) -> str:
        """Text a store should take: words, other scripts, emoji, quotes, SQL and FTS syntax."""
        words = [
            "tea",
            "Lisbon",
            "東京",
            "café",
            "🙂",
            "'",
            '"',
            "OR",
            "NEAR",
            "*",
            "--",
            ";",
            "\\",
            "%",
            "_",
        ]
        return " ".join(self.rng.choice(words) for _ in range(self.rng.randint(1, 12)))

    def memory_id(self) -> str:
        if self.ids and self.rng.random() < 0.4:
            return self.rng.choice(self.ids)
        return self.rng.choice(
            [self.string(), "no-such-id", "%ED%B2%80", "%FF%FE", "%00", "a%2Fb", "..", "x" * 400]
        )

    def message(self) -> Any:
        if self.rng.random() < 0.3:
            return self.rng.choice([self.string(), self.value()])
        roles = ["user", "user", "assistant", "system", "tool"]
        msg: dict[str, Any] = {"role": self.rng.choice(roles) if self.rng.random() < 0.9 else self.string()}
        msg["content"] = self.rng.choice(
            [
                self.string(),
                self.text(),
                self.text(),
                "Alice likes green tea",
                [{"type": "text", "text": self.string()}],
                [{"type": "image_url", "image_url": {"url": "x"}}],
                self.value(),
            ]
        )
        for key in ("name", "id", "created_at", "timestamp", "dia_id"):
            if self.rng.random() < 0.15:
                msg[key] = self.rng.choice([self.string(), self.scalar(), "2026-01-01T00:00:00Z"])
        return msg

    def filters(self) -> Any:
        r = self.rng.random()
        if r < 0.3:
            return self.value()
        key = self.rng.choice([*_KEYS, "created_at", "updated_at", "memory_type"])
        leaf = {key: {self.rng.choice(_FILTER_OPS): self.value()}}
        if r < 0.6:
            return leaf
        return {
            self.rng.choice(["AND", "OR", "NOT", "and", "\udc80"]): self.rng.choice(
                [[leaf, leaf], leaf, self.value()]
            )
        }

    def valid_add(self) -> dict[str, Any]:
        """A request the service should accept, for :meth:`mutate` to spoil in one place."""
        message = {
            "role": "user",
            "content": self.text(),
            "name": "Ana",
            "id": "m-1",
            "created_at": "2026-01-01T00:00:00Z",
        }
        return {
            "messages": [message, {"role": "assistant", "content": self.text()}],
            "user_id": "alice",
            "run_id": "r1",
            "metadata": {"topic": "drinks", "tags": ["tea", {"deep": "x"}]},
            "infer": False,
        }

    def valid_search(self) -> dict[str, Any]:
        return {
            "query": self.text(),
            "user_id": "alice",
            "filters": {
                "AND": [{"topic": {"in": ["drinks", "food"]}}, {"created_at": {"gte": "2020-01-01"}}]
            },
            "limit": 5,
        }

    def mutate(self, payload: Any) -> Any:
        """``payload`` with one value (anywhere, however nested) replaced by a hostile one."""
        paths: list[list[Any]] = []

        def walk(node: Any, path: list[Any]) -> None:
            paths.append(path)
            if isinstance(node, dict):
                for key, inner in node.items():
                    walk(inner, [*path, key])
            elif isinstance(node, list):
                for index, inner in enumerate(node):
                    walk(inner, [*path, index])

        walk(payload, [])
        path = self.rng.choice(paths[1:] or paths)
        hostile = self.rng.choice(["\udc80", f"ok{chr(0xDC80)}", "a\x00b", self.string(), self.value()])
        if not path:
            return hostile
        node = payload
        for step in path[:-1]:
            node = node[step]
        if isinstance(node, dict) and self.rng.random() < 0.2:
            node[self.rng.choice(["\udc80", "extra", "a\x00"])] = hostile  # a new key
        else:
            node[path[-1]] = hostile
        return payload

    def query_value(self) -> str:
        value = self.scalar()
        return value if isinstance(value, str) else json.dumps(value)


def _encode_query(params: dict[str, str]) -> str:
    # a lone surrogate goes out as the bytes a raw client would send (ED B2 80: not UTF-8)
    return "&".join(
        f"{urllib.parse.quote(k)}={urllib.parse.quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
        for k, v in params.items()
    )


def _body(rng: random.Random, payload: Any) -> tuple[bytes, str]:
    """The request body: mostly JSON (lone surrogates as \\u escapes), sometimes broken on purpose."""
    r = rng.random()
    if r < 0.04:
        return b'{"messages": "\xff\xfe tea", "user_id": "alice"}', "application/json"  # not UTF-8
    if r < 0.07:
        return ("[" * rng.choice([100, 1000, 100_000])).encode(), "application/json"  # nesting bomb
    if r < 0.10:
        return b'{"messages": "tea", "user_id": "alice"', "application/json"  # truncated
    if r < 0.12:
        return json.dumps(payload).encode(), rng.choice(
            ["text/plain", "application/x-www-form-urlencoded", ""]
        )
    return json.dumps(payload, ensure_ascii=True, default=str).encode(), "application/json"


def draw_request(g: Gen) -> tuple[str, str, bytes | None, str]:
    """(method, path with query, body, content type) of one hostile request."""
    rng = g.rng
    op = rng.choice(
        [
            "add",
            "add",
            "add",
            "search",
            "search",
            "list",
            "get",
            "patch",
            "delete",
            "delete_all",
            "history",
            "log",
            "keys",
            "raw",
        ]
    )
    scope = {
        k: g.scope_id()
        for k in ("user_id", "agent_id", "run_id")
        if rng.random() < (0.9 if k == "user_id" else 0.2)
    }
    payload: Any
    if op in ("add", "search") and rng.random() < 0.6:
        payload = g.mutate(g.valid_add() if op == "add" else g.valid_search())
        body, ctype = _body(rng, payload)
        return "POST", "/v1/memories" + ("" if op == "add" else "/search"), body, ctype
    if op == "add":
        payload = {
            "messages": rng.choice(
                [g.message(), [g.message() for _ in range(rng.randint(0, 3))], g.string()]
            ),
            **scope,
        }
        for key in ("metadata", "infer", "memory_type"):
            if rng.random() < 0.4:
                payload[key] = rng.choice([g.value(), False, {"k": g.string()}, {"k": g.text()}, "episodic"])
        if "infer" not in payload:
            payload["infer"] = False
        body, ctype = _body(rng, payload)
        return "POST", "/v1/memories", body, ctype
    if op == "search":
        payload = {"query": rng.choice([g.string(), g.text(), "tea", g.value()]), **scope}
        for key, make in (
            ("filters", g.filters),
            ("limit", g.scalar),
            ("threshold", g.scalar),
            ("explain", g.scalar),
        ):
            if rng.random() < 0.3:
                payload[key] = make()
        body, ctype = _body(rng, payload)
        return "POST", "/v1/memories/search", body, ctype
    if op in ("list", "delete_all", "log"):
        params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in scope.items()}
        extra = {
            "list": ["filters", "limit", "offset", "include_deleted"],
            "delete_all": ["purge"],
            "log": ["key_id", "memory_id", "action", "since", "limit", "offset"],
        }[op]
        for key in extra:
            if rng.random() < 0.35:
                params[key] = json.dumps(g.filters()) if key == "filters" else g.query_value()
        path = {"list": "/v1/memories", "delete_all": "/v1/memories", "log": "/v1/access-log"}[op]
        method = "DELETE" if op == "delete_all" else "GET"
        return method, f"{path}?{_encode_query(params)}", None, ""
    if op in ("get", "patch", "delete", "history"):
        memory_id = g.memory_id()
        raw_id = (
            memory_id
            if "%" in memory_id
            else urllib.parse.quote(memory_id.encode("utf-8", "surrogatepass"), safe="")
        )
        path = f"/v1/memories/{raw_id}" + ("/history" if op == "history" else "")
        if rng.random() < 0.3:
            path += "?" + _encode_query({"user_id": g.query_value()})
        if op == "patch" and rng.random() < 0.5:
            body, ctype = _body(
                rng, g.mutate({"text": g.text(), "metadata": {"k": "v", "n": [1, {"x": "y"}]}})
            )
            return "PATCH", path, body, ctype
        if op == "patch":
            payload = {
                k: rng.choice([g.string(), g.value(), "Alice now likes black tea"])
                for k in ("text", "metadata")
                if rng.random() < 0.7
            }
            body, ctype = _body(rng, payload)
            return "PATCH", path, body, ctype
        return {"get": "GET", "delete": "DELETE", "history": "GET"}[op], path, None, ""
    if op == "keys":
        payload = {
            "name": g.string(),
            "grants": rng.choice([[{"user_id": g.scope_id(), "access": g.string()}], g.value()]),
            "admin": g.scalar(),
        }
        if rng.random() < 0.5:
            body, ctype = _body(rng, payload)
            return "POST", "/v1/keys", body, ctype
        return (
            "DELETE",
            f"/v1/keys/{urllib.parse.quote(g.string().encode('utf-8', 'surrogatepass'), safe='')}",
            None,
            "",
        )
    path = rng.choice(
        [
            "/v1/memories",
            "/v1/memories/search",
            "/v1/whoami",
            "/v1/memories/%ED%B2%80",
            "/v1/%00",
            "/v1/access-log/export?format="
            + urllib.parse.quote(g.query_value().encode("utf-8", "surrogatepass")),
        ]
    )
    body, ctype = _body(rng, g.value())
    return rng.choice(["POST", "PUT", "GET", "PATCH", "DELETE"]), path, body, ctype
