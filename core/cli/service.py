"""serve, mcp, keys and access-log: memspan as a service (needs the ``server`` extra)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..config import default_location
from ..errors import NotFoundError, ValidationError
from . import emit
from ._secrets import read_secret

DEFAULT_PORT = 8765


def _service_db(args: argparse.Namespace) -> Any:
    from ..server.service_db import ServiceDB, default_service_path

    path = Path(args.service_db) if args.service_db else default_service_path(args.db or default_location())
    return ServiceDB(path)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..memory import Memory
    from ..server.access_log import Retention
    from ..server.app import ServiceSettings, create_app
    from ..server.keys import KeyStore
    from ..server.logs import log_config

    db = _service_db(args)
    keys = KeyStore(db)
    given = read_secret(None, args.admin_key_file, "MEMSPAN_ADMIN_KEY", "--admin-key")
    if given is not None:
        keys.ensure_admin(given)  # an operator-chosen key (a mounted secret): only its hash is stored
    if args.new_admin_key or not keys.has_admin():
        key, _ = keys.create("admin", [], admin=True)
        print("memspan: admin key (shown only now; only its hash is stored):", flush=True)
        print(f"  {key}", flush=True)
    settings = ServiceSettings(
        max_body_bytes=args.max_body,
        rate_per_minute=args.rate_limit,
        rate_burst=args.rate_burst,
        retention=Retention(max_age_days=args.log_max_age_days, max_mib=args.log_max_mib),
        metrics=args.metrics,
        traces=args.traces,
        readiness_timeout=args.readiness_timeout,
    )
    memory = Memory(args.db)
    url = f"http://{args.host}:{args.port}"
    print(f"memspan: store {args.db or default_location()}; service data {db.path}", flush=True)
    print(f"memspan: serving {url}  (memory browser {url}/, API docs {url}/docs)", flush=True)
    app = create_app(memory, db, settings)
    if args.metrics == "prometheus":
        print(f"memspan: Prometheus metrics at {url}/metrics; readiness at {url}/readyz", flush=True)
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            log_config=log_config(args.log_format, args.log_level),
            access_log=False,  # its line shows the query string (scope ids); memspan logs the route
        )
    finally:
        app.state.telemetry.shutdown()
        memory.close()
        db.close()
    return 0


def _mcp(args: argparse.Namespace) -> int:
    from ..server.mcp_server import CodingScope, build_mcp, http_app

    token = read_secret(args.token, args.token_file, "MEMSPAN_MCP_TOKEN", "--token")
    coding = CodingScope.from_env(args.user, args.agent, args.project)
    memory: Any
    if args.remote:
        from ..client import RemoteMemory

        api_key = read_secret(args.api_key, args.api_key_file, "MEMSPAN_API_KEY", "--api-key")
        memory = RemoteMemory(args.remote, api_key)
    else:
        from ..memory import Memory

        memory = Memory(args.db)
    server = build_mcp(memory, coding, host=args.host, port=args.port, log_level="WARNING")
    where = f"project {coding.project!r}" if coding.project else "no project"
    print(f"memspan mcp: user {coding.user_id!r}, {where}", file=sys.stderr, flush=True)
    try:
        if args.transport == "stdio":
            server.run("stdio")
        else:
            import uvicorn

            print(f"memspan mcp: http://{args.host}:{args.port}/mcp", file=sys.stderr, flush=True)
            uvicorn.run(http_app(server, token), host=args.host, port=args.port, log_level="warning")
    finally:
        memory.close()
    return 0


def _keys_create(args: argparse.Namespace) -> int:
    from ..scope import Scope
    from ..server.keys import Grant, KeyStore

    grants = []
    if args.user_id or args.agent_id or args.run_id:
        scope = Scope(args.user_id, args.agent_id, args.run_id)
        grants.append(Grant(scope, "write" if args.write else "read"))
    if not grants and not args.admin:
        raise ValidationError("give the scope the key may use (--user/--agent/--run), or --admin")
    db = _service_db(args)
    try:
        key, principal = KeyStore(db).create(args.name, grants, admin=args.admin)
    finally:
        db.close()
    emit(args, {**principal.to_dict(), "key": key}, f"{key}\n  (key id {principal.key_id}; shown only now)")
    return 0


def _keys_list(args: argparse.Namespace) -> int:
    from ..server.keys import KeyStore

    db = _service_db(args)
    try:
        rows = KeyStore(db).list()
    finally:
        db.close()
    lines = [
        f"{r['key_id']}  {r['name']:20} {'admin' if r['admin'] else r['grants']}"
        + (f"  revoked {r['revoked_at']}" if r["revoked_at"] else "")
        for r in rows
    ]
    emit(args, {"results": rows}, "\n".join(lines) or "no keys")
    return 0


def _keys_revoke(args: argparse.Namespace) -> int:
    from ..server.keys import KeyStore

    db = _service_db(args)
    try:
        if not KeyStore(db).revoke(args.key_id):
            raise NotFoundError(f"no live key with id {args.key_id!r}")
    finally:
        db.close()
    emit(args, {"revoked": args.key_id}, f"revoked {args.key_id}")
    return 0


def _what(row: dict[str, Any]) -> str:
    """One memory's id, or how many a call touched (a listed page is one row)."""
    if row["memory_id"]:
        return str(row["memory_id"])
    status = "" if row["status"] == "done" else f"  [{row['status']}]"
    return (f"{row['count']} memories" if row["count"] else "(whole scope)") + status


def _access_log(args: argparse.Namespace) -> int:
    from ..server.access_log import AccessLog, LogQuery

    db = _service_db(args)
    query = LogQuery(args.key, args.memory, args.user_id, args.agent_id, args.run_id)
    try:
        log = AccessLog(db)
        if args.export:
            for chunk in log.export(query, args.export):
                sys.stdout.write(chunk)
            return 0
        rows = log.query(query, limit=args.limit)
    finally:
        db.close()
    lines = [f"{r['at']}  {r['key_name']:12} {r['action']:5} {r['operation']:10} {_what(r)}" for r in rows]
    emit(args, {"results": rows}, "\n".join(lines) or "no access recorded")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from ._common import add_scope_options

    def service_db_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--service-db", help="keys and access log (default: next to the store file)")

    p = sub.add_parser("serve", help="REST API and memory browser, with API keys and an access log")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    service_db_option(p)
    p.add_argument("--new-admin-key", action="store_true", help="print a new admin key even if one exists")
    p.add_argument(
        "--admin-key-file",
        metavar="PATH",
        help="accept the admin key in this file (default: $MEMSPAN_ADMIN_KEY) instead of printing a new one",
    )
    p.add_argument("--max-body", type=int, default=1024 * 1024, help="largest request body in bytes")
    p.add_argument("--rate-limit", type=float, default=600, help="requests a minute per key (0: off)")
    p.add_argument("--rate-burst", type=int, help="requests allowed at once (default: a tenth of a minute)")
    p.add_argument(
        "--log-max-age-days", type=float, default=90, help="access-log rows kept this long (0: forever)"
    )
    p.add_argument(
        "--log-max-mib", type=float, default=256, help="service database kept under this size (0: no limit)"
    )
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument(
        "--log-format",
        default=os.environ.get("MEMSPAN_LOG_FORMAT", "text"),
        choices=["text", "json"],
        help="one JSON object a line, each with its request id (default: $MEMSPAN_LOG_FORMAT or text)",
    )
    p.add_argument(
        "--metrics",
        default="prometheus",
        choices=["prometheus", "otlp", "off"],
        help="/metrics for Prometheus (default), push over OTLP ($OTEL_EXPORTER_OTLP_ENDPOINT), or off",
    )
    p.add_argument(
        "--traces", default="off", choices=["otlp", "off"], help="send spans over OTLP (default: off)"
    )
    p.add_argument(
        "--readiness-timeout",
        type=float,
        default=0.8,
        metavar="SECONDS",
        help="/readyz answers 503 when the store or service database has not answered by then (default: 0.8)",
    )
    p.set_defaults(handler=_serve)

    p = sub.add_parser("mcp", help="MCP server with memory tools for coding agents (stdio or HTTP)")
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    p.add_argument("--user", dest="user", help="user_id (default: $MEMSPAN_USER or $USER)")
    p.add_argument("--agent", help="agent_id (default: none, shared by all coding tools)")
    p.add_argument("--project", help="project name (default: $MEMSPAN_PROJECT or the git repository's name)")
    p.add_argument("--remote", metavar="URL", help="use a `memspan serve` server instead of the local store")
    p.add_argument(
        "--api-key", help="key for --remote (visible in ps: prefer --api-key-file or $MEMSPAN_API_KEY)"
    )
    p.add_argument("--api-key-file", metavar="PATH", help="read the key for --remote from this file")
    p.add_argument("--host", default="127.0.0.1", help="HTTP transport: address to bind")
    p.add_argument("--port", type=int, default=8766, help="HTTP transport: port")
    p.add_argument(
        "--token",
        help="HTTP transport: require 'Authorization: Bearer TOKEN' (visible in ps: prefer --token-file "
        "or $MEMSPAN_MCP_TOKEN)",
    )
    p.add_argument("--token-file", metavar="PATH", help="read the HTTP transport's token from this file")
    p.set_defaults(handler=_mcp)

    keys = sub.add_parser("keys", help="create, list and revoke API keys of `memspan serve`")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    p = keys_sub.add_parser("create", help="a key for one scope (--user/--agent/--run) or --admin")
    p.add_argument("name")
    add_scope_options(p)
    p.add_argument("--write", action="store_true", help="may also add, change and delete (default: read)")
    p.add_argument("--admin", action="store_true", help="every scope, key management and the access log")
    service_db_option(p)
    p.set_defaults(handler=_keys_create)
    p = keys_sub.add_parser("list", help="every key, never the secrets")
    service_db_option(p)
    p.set_defaults(handler=_keys_list)
    p = keys_sub.add_parser("revoke", help="revoke a key by its id")
    p.add_argument("key_id")
    service_db_option(p)
    p.set_defaults(handler=_keys_revoke)

    p = sub.add_parser("access-log", help="who read or wrote which memory through `memspan serve`")
    add_scope_options(p)
    p.add_argument("--memory", help="one memory id")
    p.add_argument("--key", help="one key id")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--export", choices=["jsonl", "csv"], help="print every matching row in this format")
    service_db_option(p)
    p.set_defaults(handler=_access_log)
