"""Expiry cases of the conformance suite (see :mod:`memspan.expiry`).

Split from ``stores.py`` like the keyword cases; :class:`~memspan.testing.StoreConformance`
inherits them. Time is moved by replacing the store's ``clock``, so nothing sleeps.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from .. import Memory
from ..embedders.hashing import HashingEmbedder
from ..errors import NotFoundError, ValidationError
from ..filters import format_timestamp
from ..ports import MemoryStore
from ..scope import Scope
from ..types import Event

_DIMENSION = 64


def _later(seconds: float) -> str:
    return format_timestamp(datetime.now(timezone.utc) + timedelta(seconds=seconds))


class ExpiryConformance:
    """Expired memories are invisible to every read at once, and a sweep deletes them with history."""

    @pytest.fixture
    def store(self) -> MemoryStore:  # pragma: no cover - StoreConformance provides it
        raise NotImplementedError

    @pytest.fixture
    def expiring(self, store: MemoryStore) -> Iterator[Memory]:
        """A memory over ``store``; the test may move ``store.clock``, which is put back after."""
        memory = Memory(store=store, embedder=HashingEmbedder(_DIMENSION))
        yield memory
        vars(store).pop("clock", None)  # the class's real clock again

    def test_expired_memories_are_invisible_to_every_read(self, expiring: Memory, store: MemoryStore) -> None:
        short = expiring.add("green tea at the zeppelin museum", user_id="ana", ttl=60, infer=False).added[0]
        long = expiring.add("green tea in the morning", user_id="ana", ttl=3600, infer=False).added[0]
        kept = expiring.add("green tea with lemon", user_id="ana", infer=False).added[0]
        assert short.expires_at is not None and short.expires_at < (long.expires_at or "")
        assert expiring.get(short.id).expires_at == short.expires_at  # round-trips
        assert len(expiring.get_all(user_id="ana")) == 3
        store.clock = lambda: _later(120)  # type: ignore[method-assign]
        scope = Scope(user_id="ana")
        assert {m.id for m in expiring.get_all(user_id="ana")} == {long.id, kept.id}
        assert {m.id for m in expiring.search("zeppelin green tea", user_id="ana", limit=10)} == {
            long.id,
            kept.id,
        }
        assert short.id not in {m.id for m, _ in store.search_keyword(scope, "zeppelin", None, 10)}
        vector = expiring.embedder.embed([short.text], kind="query")[0]
        assert short.id not in {m.id for m, _ in store.search_vector(scope, vector, None, 2)}
        assert len(store.search_vector(scope, vector, None, 2)) == 2  # limit not eaten by expired rows
        assert short.id not in {
            m.id for m in expiring.get_all(user_id="ana", filters={"memory_type": "semantic"})
        }
        assert store.find_hash(scope, short.hash) is None
        assert store.count(scope) == 2
        with pytest.raises(NotFoundError):
            expiring.get(short.id)
        assert expiring.get(short.id, include_deleted=True).id == short.id
        again = expiring.add("green tea at the zeppelin museum", user_id="ana", infer=False)
        assert [c.event for c in again.changes] == [Event.ADD]  # an expired text is not a duplicate

    def test_sweep_deletes_expired_memories_with_a_history_event(
        self, expiring: Memory, store: MemoryStore
    ) -> None:
        gone = expiring.add("a note for one minute", user_id="ana", ttl=60, infer=False).added[0]
        other = expiring.add("bob's note for one minute", user_id="bob", ttl=60, infer=False).added[0]
        stays = expiring.add("a note for a day", user_id="ana", ttl=86400, infer=False).added[0]
        assert expiring.sweep_expired() == 0
        store.clock = lambda: _later(120)  # type: ignore[method-assign]
        assert expiring.sweep_expired(user_id="ana") == 1  # a scoped sweep leaves bob's alone
        assert expiring.sweep_expired() == 1
        assert expiring.sweep_expired() == 0
        for item in (gone, other):
            last = expiring.history(item.id)[-1]
            assert (last.event, last.reason, last.old_text) == (Event.DELETE, "expired", item.text)
            assert expiring.get(item.id, include_deleted=True).deleted_at is not None
        assert [m.id for m in expiring.get_all(user_id="ana")] == [stays.id]

    def test_update_sets_refreshes_and_clears_the_expiry(self, expiring: Memory, store: MemoryStore) -> None:
        item = expiring.add("a note", user_id="ana", ttl=60, infer=False).added[0]
        refreshed = expiring.update(item.id, ttl=3600)
        assert (refreshed.text, refreshed.expires_at is not None) == ("a note", True)
        assert (refreshed.expires_at or "") > (item.expires_at or "")
        store.clock = lambda: _later(120)  # type: ignore[method-assign]
        assert expiring.get(item.id).id == item.id  # pushed back: still there
        assert expiring.update(item.id, expires_at=None).expires_at is None
        store.clock = lambda: _later(10**7)  # type: ignore[method-assign]
        assert expiring.get(item.id).expires_at is None
        assert expiring.sweep_expired() == 0
        assert [e.event for e in expiring.history(item.id)] == [Event.ADD, Event.UPDATE, Event.UPDATE]

    def test_bad_expiry_is_refused_and_writes_nothing(self, expiring: Memory, store: MemoryStore) -> None:
        for bad in (
            {"ttl": 0},
            {"ttl": -5},
            {"ttl": "60"},
            {"ttl": True},
            {"expires_at": "next tuesday"},
            {"expires_at": "2001-01-01T00:00:00Z"},  # already past
            {"expires_at": 12},
            {"expires_at": _later(60), "ttl": 60},
        ):
            with pytest.raises(ValidationError):
                expiring.add("a note", user_id="ana", infer=False, **bad)  # type: ignore[arg-type]
        assert store.count(Scope(user_id="ana"), include_deleted=True) == 0

    def test_a_sweep_is_safe_while_others_write(self, expiring: Memory, store: MemoryStore) -> None:
        """One thread sweeps over and over while another adds expiring and lasting memories and
        refreshes some: nothing lasting or refreshed is lost, every expired one is swept once."""
        store.clock = lambda: _later(0)  # type: ignore[method-assign]
        errors: list[BaseException] = []
        done = threading.Event()

        def sweep() -> None:
            try:
                while not done.is_set():
                    expiring.sweep_expired()
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        sweeper = threading.Thread(target=sweep)
        sweeper.start()
        lasting, dying = [], []
        try:
            for i in range(15):
                lasting.append(expiring.add(f"lasting note {i}", user_id="ana", infer=False).added[0].id)
                short = expiring.add(f"dying note {i}", user_id="ana", ttl=0.001, infer=False).added[0]
                dying.append(short.id)
        finally:
            done.set()
            sweeper.join()
        assert not errors, errors
        store.clock = lambda: _later(1)  # type: ignore[method-assign]
        expiring.sweep_expired()
        assert {m.id for m in expiring.get_all(user_id="ana", limit=100)} == set(lasting)
        for memory_id in dying:
            events = [(e.event, e.reason) for e in expiring.history(memory_id)]
            assert events == [(Event.ADD, None), (Event.DELETE, "expired")], events
