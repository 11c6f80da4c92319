"""Conformance suites that every store, embedder and history backend must pass (see issue 6)."""
