"""Hostile and malformed input through every door: the filter parser, the public API and the CLI.

Every call either works or raises a ``MemspanError`` that says what to fix; a refused call writes
nothing. Strings aimed at SQL, FTS5 query syntax and the filter grammar are stored and searched as
plain text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memspan import Memory, MemspanError
from memspan.cli import main as cli_main
from memspan.embedders import HashingEmbedder
from memspan.filters import OPERATORS, FilterError, parse_filter

EXAMPLES = 1500 if os.environ.get("MEMSPAN_SLOW") == "1" else 150
INJECTIONS = [
    "'; DROP TABLE memories; --",
    '" OR 1=1 --',
    "text MATCH 'x' OR memories_fts MATCH '*'",
    'NEAR("a" "b", 2) AND -c OR ^d* {text}: "',
    "user_id:bob OR agent_id:*",
    "$or",
    "\\",
    "%_%",
    "*",
    '"""',
    "); DELETE FROM history; SELECT (",
]
keys = st.one_of(
    st.sampled_from(
        [*OPERATORS, "AND", "OR", "NOT", "$and", "$or", "$not", "$gte", "$bogus", "user_id", "id"]
    ),
    st.text(max_size=12),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(INJECTIONS),
    st.sampled_from(["2026-01-01", "2026-13-45T99:99", "not a date"]),
)
filter_specs = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(spec=filter_specs, record=st.dictionaries(st.text(max_size=8), scalars, max_size=5))
def test_the_filter_parser_accepts_or_explains(spec: Any, record: dict[str, Any]) -> None:
    try:
        parsed = parse_filter(spec)
    except FilterError as exc:
        assert str(exc)
        return
    if parsed is not None:
        assert isinstance(parsed.matches(record), bool)


@pytest.mark.parametrize("depth", [33, 10_000, 200_000])
def test_deeply_nested_filters_are_refused_without_recursion_errors(depth: int) -> None:
    spec: dict[str, Any] = {"topic": "x"}
    for _ in range(depth):
        spec = {"NOT": spec}
    with pytest.raises(FilterError, match="nested deeper"):
        parse_filter(spec)
    wide = {"OR": [{f"k{i}": i} for i in range(5_000)]}
    with pytest.raises(FilterError, match="more than"):
        parse_filter(wide)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Memory]:
    path = tmp_path_factory.mktemp("hostile") / "m.db"
    with Memory(path, embedder=HashingEmbedder(64)) as memory:
        memory.add(
            [f"alice fact {i}: {text}" for i, text in enumerate(INJECTIONS)], user_id="alice", infer=False
        )
        memory.add("bob's private fact", user_id="bob", infer=False)
        yield memory


def _snapshot(memory: Memory) -> list[tuple[Any, ...]]:
    items = memory.store.iter_memories(include_deleted=True)
    return sorted((m.id, m.text, m.user_id, m.deleted_at, str(m.metadata)) for m in items)


anything = st.one_of(scalars, filter_specs, st.binary(max_size=10), st.sampled_from([object(), float("nan")]))
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(INJECTIONS),
    st.sampled_from(["\x00", "a\ud800b", " ", "x" * 100_001]),
)


@settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    call=st.sampled_from(["add", "search", "get_all", "get", "update", "delete", "history", "delete_all"]),
    text=texts,
    junk=anything,
    user=st.one_of(st.sampled_from(["alice", "bob", "al ice", "", "alice\n", "x" * 300]), texts),
    use_junk=st.booleans(),
)
def test_public_api_calls_succeed_or_refuse_cleanly(
    shared: Memory, call: str, text: str, junk: Any, user: str, use_junk: bool
) -> None:
    memory = shared
    before = _snapshot(memory)
    arg = junk if use_junk else text
    try:
        if call == "add":
            memory.add(arg, user_id="mallory", metadata=junk if isinstance(junk, dict) else None, infer=False)
        elif call == "search":
            found = memory.search(text, user_id=user, filters=junk if use_junk else None, limit=20)
            assert all(m.user_id == user for m in found)
        elif call == "get_all":
            found = memory.get_all(user_id=user, filters=junk, limit=20)
            assert all(m.user_id == user for m in found)
        elif call in ("get", "history"):
            getattr(memory, call)(arg)
        elif call == "update":
            memory.update(arg, text, metadata=junk if isinstance(junk, dict) else None)
        elif call == "delete":
            memory.delete(arg)
        elif arg not in ("alice", "bob"):
            memory.delete_all(user_id="mallory" if use_junk else arg)
    except MemspanError as exc:
        assert str(exc)
        assert _snapshot(memory) == before, f"a refused {call} wrote something"
    after = _snapshot(memory)
    untouched = [m for m in before if m[2] in ("alice", "bob")]
    assert [m for m in after if m[2] in ("alice", "bob")] == untouched


@pytest.mark.parametrize("query", INJECTIONS)
def test_query_syntax_in_a_search_is_plain_text(shared: Memory, query: str) -> None:
    found = shared.search(query, user_id="alice", limit=50)
    assert all(m.user_id == "alice" for m in found)
    if any(ch.isalnum() for ch in query):  # the memory that contains the words ranks near the top
        assert any(m.text.endswith(query) for m in found[:3]), (query, found.texts()[:3])


def test_injection_strings_in_metadata_are_stored_and_filtered_verbatim(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder=HashingEmbedder(64)) as memory:
        meta = {text: text for text in INJECTIONS}
        (item,) = memory.add("tagged", user_id="u", metadata=meta, infer=False).added
        assert memory.get(item.id).metadata == meta
        for key in INJECTIONS:
            if key.startswith("$"):
                continue  # '$or' names the logical operator in the filter grammar
            assert [m.id for m in memory.get_all(user_id="u", filters={key: key})] == [item.id]
            assert [m.id for m in memory.search("tagged", user_id="u", filters={key: {"eq": key}})] == [
                item.id
            ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "tea"], "needs a scope"),
        (["search", "tea", "-u", "'; DROP TABLE memories; --"], "not a valid id"),
        (["get", "../../etc/passwd"], "not a valid id"),
        (["history", "etc/../passwd"], "no memory with id"),
        (["list", "-u", "u", "--filters", '{"NOT": ' * 40 + "{}" + "}" * 40], "nested deeper"),
        (["list", "-u", "u", "--filters", '{"a": {"$regex": ".*"}}'], "unknown filter operator"),
        (["add", "\x01\x02 control", "-u", "u", "--metadata", '{"user_id": "bob"}'], "reserved"),
        (["search", "x" * 20_000, "-u", "u"], "longer than"),
    ],
)
def test_cli_refuses_hostile_arguments_with_one_line(
    tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(["--db", str(tmp_path / "cli.db"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("memspan: error:") and message in err, err
    assert "Traceback" not in err


def test_cli_given_invalid_utf8_bytes_reports_an_error(tmp_path: Path) -> None:
    """argv arrives as bytes; Python turns undecodable bytes into lone surrogates (PEP 383)."""
    db = str(tmp_path / "cli.db").encode()
    result = subprocess.run(
        [
            sys.executable.encode(),
            b"-m",
            b"memspan.cli",
            b"--db",
            db,
            b"add",
            b"caf\xe9 \xff\xfe",
            b"-u",
            b"u",
        ],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"},
    )
    assert result.returncode == 2, result.stderr
    assert b"memspan: error:" in result.stderr and b"UTF-8" in result.stderr
    assert b"Traceback" not in result.stderr
    for argv in (
        ["search", b"\xc3\x28".decode(errors="surrogateescape"), "-u", "u"],
        ["list", "-u", "u\udcff"],
    ):
        assert cli_main(["--db", str(tmp_path / "cli.db"), *argv]) == 2
