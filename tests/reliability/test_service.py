"""The REST service as deployed (``memspan serve`` in its own process, 127.0.0.1): keys never cross
users, hostile requests get a 4xx and write nothing, and bounded load runs with zero errors and
flat memory.
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

LONG = os.environ.get("MEMSPAN_SLOW") == "1"


@dataclass
class Served:
    url: str
    pid: int
    admin: str
    keys: dict[str, str]  # user_id -> key with write access to that user only

    def add_keys(self, users: list[str]) -> None:
        """A key per user, through the admin API, that may write that user's memories only."""
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.admin}"}) as admin:
            for user in users:
                body = {"name": user, "grants": [{"user_id": user, "access": "write"}]}
                created = admin.post("/v1/keys", json=body, timeout=30)
                assert created.status_code == 201, created.text
                self.keys[user] = created.json()["key"]

    def client(self, user: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.keys[user]}"}, timeout=30
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    port = _free_port()
    command = [sys.executable, "-m", "memspan.cli", "--db", str(folder / "m.db"), "serve"]
    command += ["--port", str(port), "--rate-limit", "0", "--log-level", "warning"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    admin = ""
    deadline = time.monotonic() + 120
    for line in proc.stdout:
        if line.strip().startswith("msk_"):
            admin = line.strip()
        if "serving" in line or time.monotonic() > deadline:
            break
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep draining its output
    url = f"http://127.0.0.1:{port}"
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            assert proc.poll() is None and time.monotonic() < deadline, "memspan serve did not start"
            time.sleep(0.2)
    service = Served(url, proc.pid, admin, {})
    service.add_keys(["alice", "bob"])
    yield service
    proc.terminate()
    proc.wait(30)


def _all_of(served: Served, user: str) -> list[tuple[str, str, str | None]]:
    with served.client(user) as c:
        page = c.get("/v1/memories", params={"user_id": user, "include_deleted": "true", "limit": 500}).json()
    return sorted((m["id"], m["memory"], m.get("deleted_at")) for m in page["results"])


def test_a_key_never_reaches_another_users_memories(served: Served) -> None:
    with served.client("bob") as bob:
        added = bob.post(
            "/v1/memories", json={"messages": "Bob's bank is in Zurich", "user_id": "bob", "infer": False}
        )
        assert added.status_code == 200, added.text
        bob_id = added.json()["results"][0]["id"]
    before = _all_of(served, "bob")
    with served.client("alice") as alice:
        alice.post(
            "/v1/memories", json={"messages": "Alice likes Zurich", "user_id": "alice", "infer": False}
        )
        attempts = [
            alice.get("/v1/memories", params={"user_id": "bob"}),
            alice.get("/v1/memories", params={"agent_id": "x"}),
            alice.get("/v1/memories", params={"user_id": "alice", "filters": json.dumps({"user_id": "bob"})}),
            alice.post("/v1/memories/search", json={"query": "Zurich bank", "user_id": "bob"}),
            alice.post(
                "/v1/memories/search",
                json={
                    "query": "Zurich",
                    "user_id": "alice",
                    "filters": {"OR": [{"user_id": "bob"}, {"id": bob_id}]},
                },
            ),
            alice.get(f"/v1/memories/{bob_id}"),
            alice.get(f"/v1/memories/{bob_id}/history"),
            alice.patch(f"/v1/memories/{bob_id}", json={"text": "hijacked"}),
            alice.patch(f"/v1/memories/{bob_id}", json={"metadata": {"owner": "alice"}}),
            alice.delete(f"/v1/memories/{bob_id}"),
            alice.delete("/v1/memories", params={"user_id": "bob", "purge": "true"}),
            alice.post("/v1/memories", json={"messages": "I am Bob now", "user_id": "bob", "infer": False}),
            alice.post(
                "/v1/memories", json={"messages": "spoof", "user_id": "alice", "metadata": {"user_id": "bob"}}
            ),
            alice.post("/v1/keys", json={"name": "escalate", "admin": True}),
            alice.get("/v1/access-log"),
        ]
    for response in attempts:
        assert response.status_code in (200, 403, 404, 422), (response.request.url, response.text)
        if response.status_code == 200:
            assert bob_id not in response.text and "bank" not in response.text, response.request.url
    assert _all_of(served, "bob") == before


HOSTILE_BODIES: list[tuple[str, bytes, dict[str, str]]] = [
    ("invalid UTF-8", b'{"messages": "caf\xe9 \xff", "user_id": "alice"}', {}),
    ("escaped lone surrogate", b'{"messages": "a \\ud800 b", "user_id": "alice", "infer": false}', {}),
    ("NUL in text", b'{"messages": "a \\u0000 b", "user_id": "alice", "infer": false}', {}),
    (
        "deep nesting",
        b'{"messages": "x", "user_id": "alice", "metadata": ' + b'{"a": ' * 5000 + b"1" + b"}" * 5001,
        {},
    ),
    ("deep list", b"[" * 200_000 + b"]" * 200_000, {}),
    ("two megabytes", b'{"messages": "' + b"x" * 2_000_000 + b'", "user_id": "alice"}', {}),
    ("not JSON", b"messages=hello&user_id=alice", {"content-type": "application/x-www-form-urlencoded"}),
    ("truncated", b'{"messages": "hel', {}),
    ("wrong types", b'{"messages": {"$gt": ""}, "user_id": ["alice"], "infer": "false"}', {}),
    ("scope injection", b'{"messages": "x", "user_id": "alice\' OR \'1\'=\'1"}', {}),
    ("reserved metadata", b'{"messages": "x", "user_id": "alice", "metadata": {"user_id": "bob"}}', {}),
    ("NaN metadata", b'{"messages": "x", "user_id": "alice", "metadata": {"n": NaN}}', {}),
]


@pytest.mark.parametrize(("name", "body", "headers"), HOSTILE_BODIES, ids=[h[0] for h in HOSTILE_BODIES])
def test_hostile_request_bodies_get_a_4xx_and_write_nothing(
    served: Served, name: str, body: bytes, headers: dict[str, str]
) -> None:
    before = _all_of(served, "alice")
    with served.client("alice") as alice:
        response = alice.post(
            "/v1/memories", content=body, headers={"content-type": "application/json", **headers}
        )
    assert 400 <= response.status_code < 500, (name, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    assert _all_of(served, "alice") == before


def _rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+)", status)
    assert match is not None
    return int(match.group(1))


def _load(served: Served, clients: int, seconds: float, figures: Any) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    counts = {"add": 0, "search": 0}
    lock = threading.Lock()
    served.add_keys([f"load{n}" for n in range(clients) if f"load{n}" not in served.keys])
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        user = f"load{n}"
        i = 0
        with served.client(user) as c:
            while time.monotonic() < stop:
                i += 1
                kind = "add" if i % 4 == 1 else "search"
                started = time.perf_counter()
                try:
                    if kind == "add":
                        r = c.post(
                            "/v1/memories",
                            json={"messages": f"{user} note {i}: likes topic {i % 17}", "user_id": user},
                        )
                    else:
                        r = c.post(
                            "/v1/memories/search",
                            json={"query": f"topic {i % 17}", "user_id": user, "limit": 5},
                        )
                    ok = r.status_code == 200
                    problem = f"{r.status_code} {r.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, problem = False, repr(exc)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    counts[kind] += 1
                    if not ok:
                        errors.append(problem)

    rss: list[int] = []
    sampling = threading.Event()

    def sample() -> None:
        while not sampling.wait(0.5):
            rss.append(_rss_kib(served.pid))

    sampler = threading.Thread(target=sample)
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    sampler.start()
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    sampling.set()
    sampler.join()
    quantiles = statistics.quantiles(latencies, n=100)
    settled = rss[len(rss) // 4 :] or rss  # after the first quarter (caches, model warm-up)
    growth = (max(settled) - settled[0]) / 1024
    figures(
        suite="load",
        clients=clients,
        seconds=seconds,
        requests=len(latencies),
        adds=counts["add"],
        searches=counts["search"],
        errors=len(errors),
        throughput_rps=round(len(latencies) / wall, 1),
        p50_ms=round(quantiles[49] * 1000, 1),
        p95_ms=round(quantiles[94] * 1000, 1),
        p99_ms=round(quantiles[98] * 1000, 1),
        server_rss_mib_start=round(settled[0] / 1024, 1),
        server_rss_mib_end=round(settled[-1] / 1024, 1),
        server_rss_growth_mib=round(growth, 1),
    )
    assert not errors, errors[:5]
    assert growth < 64, f"server memory grew {growth:.0f} MiB under steady load"


def test_bounded_load_has_no_errors(served: Served, figures: Any) -> None:
    _load(served, clients=8, seconds=4, figures=figures)


@pytest.mark.slow
def test_bounded_load_has_no_errors_long(served: Served, figures: Any) -> None:
    _load(served, clients=50, seconds=60, figures=figures)
