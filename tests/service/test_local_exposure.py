"""Local exposure: files memspan creates are the owner's alone, and secrets need not be arguments
(an argument shows in ``ps`` to every account on the machine)."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from memspan import Memory
from memspan.cli._secrets import read_secret
from memspan.errors import ValidationError
from memspan.ports import Embedder
from memspan.server.keys import KeyStore
from memspan.server.service_db import ServiceDB, default_service_path

from .test_cli_service import free_port

posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the common default, under which plain creation gives 0644 / 0755
    yield
    os.umask(old)


@posix_only
def test_store_and_service_files_are_0600_in_a_0700_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder: Embedder, usual_umask: None
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("MEMSPAN_STORE", raising=False)
    with Memory(embedder=embedder) as memory:  # the default location, ~/.memspan/memspan.db
        memory.add("Ana keeps her passport in the blue drawer", user_id="ana", infer=False)
        folder = tmp_path / ".memspan"
        files = sorted(folder.iterdir())
        assert [f.name for f in files] == ["memspan.db", "memspan.db-shm", "memspan.db-wal"]
        service = ServiceDB(default_service_path(str(folder / "memspan.db")))
        KeyStore(service).create("admin", [], admin=True)
        service_files = sorted(p for p in folder.iterdir() if p.name.startswith("memspan.service"))
        assert service_files and service_files[0].name == "memspan.service.db"
        assert mode(folder) == 0o700
        assert {f.name: mode(f) for f in [*files, *service_files]} == {
            f.name: 0o600 for f in [*files, *service_files]
        }
        service.close()


@posix_only
def test_a_store_in_a_new_folder_anywhere_is_private_too(tmp_path: Path, usual_umask: None) -> None:
    path = tmp_path / "a" / "b" / "mem.db"
    ServiceDB(path).close()
    assert mode(path) == 0o600
    assert mode(tmp_path / "a") == 0o700 and mode(tmp_path / "a" / "b") == 0o700
    existing = tmp_path / "shared.db"
    existing.touch(mode=0o640)
    ServiceDB(existing).close()
    assert mode(existing) == 0o640  # a file its owner made keeps the owner's mode


def test_secrets_come_from_an_argument_a_file_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEMSPAN_MCP_TOKEN", raising=False)
    assert read_secret(None, None, "MEMSPAN_MCP_TOKEN", "--token") is None
    monkeypatch.setenv("MEMSPAN_MCP_TOKEN", "from-env")
    assert read_secret(None, None, "MEMSPAN_MCP_TOKEN", "--token") == "from-env"
    secret_file = tmp_path / "token"
    secret_file.write_text("from-file\n")
    secret_file.chmod(0o600)
    assert read_secret(None, str(secret_file), "MEMSPAN_MCP_TOKEN", "--token") == "from-file"
    assert read_secret("from-arg", None, "MEMSPAN_MCP_TOKEN", "--token") == "from-arg"
    with pytest.raises(ValidationError, match="not both"):
        read_secret("a", str(secret_file), "MEMSPAN_MCP_TOKEN", "--token")
    with pytest.raises(ValidationError, match="cannot read"):
        read_secret(None, str(tmp_path / "missing"), "MEMSPAN_MCP_TOKEN", "--token")
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(ValidationError, match="empty"):
        read_secret(None, str(tmp_path / "empty"), "MEMSPAN_MCP_TOKEN", "--token")


def test_an_admin_key_from_a_secret_is_accepted_once_and_only_its_hash_stored(tmp_path: Path) -> None:
    db = ServiceDB(tmp_path / "s.db")
    keys = KeyStore(db)
    key = f"msk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    keys.ensure_admin(key)
    keys.ensure_admin(key)  # a restart with the same secret
    assert keys.has_admin() and len(keys.list()) == 1
    who = keys.verify(key)
    assert who is not None and who.admin
    assert key.split("_", 2)[2] not in str(db.query("SELECT * FROM api_keys"))
    with pytest.raises(ValidationError, match="already used"):
        keys.ensure_admin(key[:-4] + "abcd")
    with pytest.raises(ValidationError, match="must look like"):
        keys.ensure_admin("hunter2")
    db.close()


def _serve(tmp_path: Path, argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "memspan.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        cwd=tmp_path,
    )
    assert process.stdout is not None
    lines: list[str] = []
    while not any("serving" in line or "/mcp" in line for line in lines):
        line = process.stdout.readline()
        assert line, f"memspan exited early: {''.join(lines)}"
        lines.append(line)
    return process, lines


def _wait(url: str, headers: dict[str, str]) -> httpx.Response:
    deadline = time.monotonic() + 60
    while True:
        try:
            return httpx.get(url, headers=headers)
        except httpx.TransportError:
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.2)


def test_serve_takes_the_admin_key_from_a_file_and_prints_none(tmp_path: Path) -> None:
    key = f"msk_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"
    key_file = tmp_path / "admin.key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    port = free_port()
    argv = ["serve", "--port", str(port), "--log-level", "warning", "--admin-key-file", str(key_file)]
    process, lines = _serve(tmp_path, argv, {"MEMSPAN_STORE": str(tmp_path / "m.db")})
    try:
        assert not any("msk_" in line for line in lines)  # nothing new printed, nothing in argv
        who = _wait(f"http://127.0.0.1:{port}/v1/whoami", {"Authorization": f"Bearer {key}"})
        assert who.status_code == 200 and who.json()["admin"] is True
    finally:
        process.terminate()
        process.wait(20)


def test_mcp_over_http_takes_its_token_from_the_environment(tmp_path: Path) -> None:
    token = secrets.token_urlsafe(24)
    port = free_port()
    argv = ["--db", str(tmp_path / "m.db"), "mcp", "--transport", "http", "--port", str(port)]
    process, _ = _serve(tmp_path, argv, {"MEMSPAN_MCP_TOKEN": token})
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        assert _wait(url, {}).status_code == 401
        assert _wait(url, {"Authorization": "Bearer wrong"}).status_code == 401
        assert _wait(url, {"Authorization": f"Bearer {token}"}).status_code != 401
    finally:
        process.terminate()
        process.wait(20)
