"""Not-found is one answer, whoever owns the id: a missing id, a deleted memory and another user's
memory give the same error (type, status and message, but for the id), in the Python API and in the
REST body, with or without ``?user_id=``. Before, an existing memory of someone else asked for
with ``?user_id=bob`` answered ``... in user_id=bob``, which told it apart from a missing id.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from memspan.errors import NotFoundError

from .conftest import Svc

MISSING = "00000000-0000-4000-8000-000000000000"


def _answers(svc: Svc) -> dict[str, str]:
    alice = svc.memory.add("Alice's door code is 4512", user_id="alice", infer=False).changes[0].item
    gone = svc.memory.add("Bob's old address", user_id="bob", infer=False).changes[0].item
    svc.memory.delete(gone.id)
    return {"someone else's": alice.id, "deleted": gone.id, "missing": MISSING}


def test_the_python_api_answers_alike(svc: Svc) -> None:
    ids = _answers(svc)
    calls = {
        "get": lambda i: svc.memory.get(i, user_id="bob"),
        "update": lambda i: svc.memory.update(i, "changed", user_id="bob"),
        "delete": lambda i: svc.memory.delete(i, user_id="bob"),
        "history": lambda i: svc.memory.history(i, user_id="bob"),
    }
    for name, do in calls.items():
        messages = set()
        for what, memory_id in ids.items():
            if name == "history" and what == "deleted":
                continue  # a deleted memory's history is still its owner's to read
            with pytest.raises(NotFoundError) as caught:
                do(memory_id)
            messages.add(str(caught.value).replace(memory_id, "<id>"))
        assert messages == {"no memory with id '<id>'"}, (name, messages)


@pytest.mark.parametrize("as_admin", [True, False])
def test_the_rest_body_is_the_same(svc: Svc, as_admin: bool) -> None:
    ids = _answers(svc)
    key = svc.admin_key if as_admin else svc.key("bob", ({"user_id": "bob"}, "write"))
    client = TestClient(svc.app)
    headers = {"Authorization": f"Bearer {key}"}
    for params in ({"user_id": "bob"}, {}):
        for method, suffix in (("GET", ""), ("GET", "/history"), ("DELETE", ""), ("PATCH", "")):
            bodies = set()
            for what, memory_id in ids.items():
                if as_admin and not params and what != "missing":
                    continue  # the admin may touch any memory that exists
                if suffix == "/history" and what == "deleted":
                    continue  # bob's own deleted memory: its history is his to read
                json_body = {"text": "changed"} if method == "PATCH" else None
                r = client.request(
                    method,
                    f"/v1/memories/{memory_id}{suffix}",
                    params=params,
                    headers=headers,
                    json=json_body,
                )
                assert r.status_code == 404, (what, method, suffix, params, r.text)
                error = dict(r.json()["error"])
                assert error.pop("request_id") == r.headers["x-request-id"]  # each request its own id
                bodies.add(json.dumps(error).replace(memory_id, "<id>"))
            assert len(bodies) == 1, (method, suffix, params, bodies)
