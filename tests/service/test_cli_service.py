"""`memspan serve` (the quick start, as a real process), `memspan keys` and `memspan access-log`."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from memspan.cli import main
from memspan.server.service_db import default_service_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_quick_start_prints_an_admin_key_that_works(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "MEMSPAN_STORE": str(tmp_path / "memspan.db"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "memspan.cli", "serve", "--port", str(port), "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any("serving" in line for line in lines):
            line = process.stdout.readline()
            assert line, f"memspan serve exited early: {''.join(lines)}"
            lines.append(line)
        key = next(line.strip() for line in lines if line.strip().startswith("msk_"))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                who = httpx.get(f"{url}/v1/whoami", headers={"Authorization": f"Bearer {key}"})
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.2)
        assert who.status_code == 200 and who.json()["admin"] is True
        r = httpx.post(
            f"{url}/v1/memories", json={"messages": "hello", "user_id": "u"}, headers={"X-API-Key": key}
        )
        assert r.status_code == 200
        assert httpx.get(f"{url}/").status_code == 200
    finally:
        process.terminate()
        process.wait(20)
    assert (tmp_path / "memspan.service.db").exists()  # keys live next to the store, not in it


def test_keys_and_access_log_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "m.db")
    created = json.loads(
        run_cli(capsys, "--db", db, "--json", "keys", "create", "ci", "--user", "ana", "--write")
    )
    assert created["key"].startswith("msk_") and created["grants"] == [{"user_id": "ana", "access": "write"}]
    admin = json.loads(run_cli(capsys, "--db", db, "--json", "keys", "create", "root", "--admin"))
    assert admin["admin"] is True
    listed = json.loads(run_cli(capsys, "--db", db, "--json", "keys", "list"))["results"]
    assert [k["name"] for k in listed] == ["ci", "root"] or sorted(k["name"] for k in listed) == [
        "ci",
        "root",
    ]
    assert created["key"] not in json.dumps(listed)
    assert "revoked" in run_cli(capsys, "--db", db, "keys", "revoke", created["key_id"])
    assert main(["--db", db, "keys", "revoke", created["key_id"]]) == 2  # already revoked
    assert main(["--db", db, "keys", "create", "nothing"]) == 2  # neither a scope nor --admin
    capsys.readouterr()

    # access rows written by the service are readable and exportable from the command line
    from memspan.scope import Scope
    from memspan.server.access_log import AccessLog
    from memspan.server.keys import Principal
    from memspan.server.service_db import ServiceDB
    from memspan.types import MemoryItem, MemoryType

    service = ServiceDB(default_service_path(db))
    item = MemoryItem("m-1", "t", "ana", None, None, MemoryType.SEMANTIC, {}, "2026-01-01", "2026-01-01", "h")
    AccessLog(service).record(Principal("k1", "ci"), "read", "search", [item], Scope("ana"))
    service.close()
    rows = json.loads(run_cli(capsys, "--db", db, "--json", "access-log", "--user", "ana"))["results"]
    assert [(r["key_name"], r["memory_id"], r["operation"]) for r in rows] == [("ci", "m-1", "search")]
    exported = run_cli(capsys, "--db", db, "access-log", "--export", "csv").splitlines()
    assert exported[0].startswith("id,at,key_id") and "m-1" in exported[1]
