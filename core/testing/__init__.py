"""Conformance suites that every store backend must pass, and a throwaway PostgreSQL server.

``memspan.testing`` needs pytest (``pip install memspan[dev]``); import it only from tests.
"""

from .postgres_server import PostgresTestServer, start_postgres
from .stores import StoreConformance

__all__ = ["PostgresTestServer", "StoreConformance", "start_postgres"]
