"""REST clients racing on one memory through the real service (uvicorn on 127.0.0.1): an update
that loses to a delete answers 404 and the memory stays deleted. The issue's attack found 13 of 50
memories live again after an acknowledged DELETE; the old code here, 21 of 40."""

from __future__ import annotations

import threading

import httpx

from .conftest import Svc


def _race(a: httpx.Client, b: httpx.Client, memory_id: str, text: str) -> tuple[int, int]:
    """PATCH from one client and DELETE from another, released together; their statuses."""
    barrier = threading.Barrier(2)
    answers: dict[str, int] = {}

    def patch() -> None:
        barrier.wait()
        answers["patch"] = a.patch(f"/v1/memories/{memory_id}", json={"text": text}).status_code

    def delete() -> None:
        barrier.wait()
        answers["delete"] = b.delete(f"/v1/memories/{memory_id}").status_code

    threads = [threading.Thread(target=patch), threading.Thread(target=delete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers["patch"], answers["delete"]


def test_patch_racing_delete_never_undoes_the_delete(svc: Svc, live: str) -> None:
    key = svc.key("alice", ({"user_id": "alice"}, "write"))
    headers = {"Authorization": f"Bearer {key}"}
    resurrected, statuses = 0, []
    with (
        httpx.Client(base_url=live, headers=headers, timeout=30) as a,
        httpx.Client(base_url=live, headers=headers, timeout=30) as b,
    ):
        for trial in range(40):
            added = a.post(
                "/v1/memories", json={"messages": f"note {trial}", "user_id": "alice", "infer": False}
            )
            memory_id = added.json()["results"][0]["id"]
            patched, deleted = _race(a, b, memory_id, f"changed {trial}")
            statuses.append((patched, deleted))
            if deleted == 200:
                resurrected += a.get(f"/v1/memories/{memory_id}").status_code == 200
    assert all(p in (200, 404) and d == 200 for p, d in statuses), statuses
    assert resurrected == 0
