"""memspan as a service (the ``server`` extra): ``memspan serve`` and ``memspan mcp``.

- :mod:`.app` builds the FastAPI app (REST API under ``/v1``, the memory browser at ``/``);
  :mod:`.memory_routes` and :mod:`.admin_routes` are its routes, :mod:`.models` its OpenAPI bodies,
  :mod:`.http_errors` maps memspan's errors to statuses and one error body, :mod:`.limits` enforces
  body size and rate limits;
- :mod:`.keys` (scope-bound API keys, stored hashed) and :mod:`.access_log` live in the service's own
  SQLite file, :mod:`.service_db`;
- :mod:`.mcp_server` is the Model Context Protocol server for coding agents.

Nothing here is imported by ``import memspan``.
"""
