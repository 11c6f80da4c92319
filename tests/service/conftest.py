"""A real service per test: a SQLite store, the service database, and uvicorn on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from memspan import Memory
from memspan.ports import Embedder
from memspan.scope import Scope
from memspan.server.app import ServiceSettings, create_app
from memspan.server.keys import Grant, KeyStore
from memspan.server.service_db import ServiceDB


@dataclass
class Svc:
    app: FastAPI
    memory: Memory
    db: ServiceDB
    admin_key: str

    def key(self, name: str, *grants: tuple[dict[str, str], str]) -> str:
        """A key with grants given as (scope ids, "read"|"write")."""
        key, _ = KeyStore(self.db).create(name, [Grant(Scope(**ids), access) for ids, access in grants])  # type: ignore[arg-type]
        return key


def make_service(
    tmp_path: Path, embedder: Embedder, settings: ServiceSettings | None = None
) -> Iterator[Svc]:
    memory = Memory(tmp_path / "memspan.db", embedder=embedder)
    db = ServiceDB(tmp_path / "memspan.service.db")
    admin_key, _ = KeyStore(db).create("admin", [], admin=True)
    app = create_app(memory, db, settings or ServiceSettings(rate_per_minute=0))
    yield Svc(app, memory, db, admin_key)
    memory.close()
    db.close()


@pytest.fixture
def svc(tmp_path: Path, embedder: Embedder) -> Iterator[Svc]:
    yield from make_service(tmp_path, embedder)


class ThreadedServer:
    """uvicorn serving ``app`` from a thread, on a port the OS picked."""

    def __init__(self, app: Any, lifespan: str = "off"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sock.close()


@pytest.fixture
def live(svc: Svc) -> Iterator[str]:
    with ThreadedServer(svc.app) as server:
        yield server.url
