"""One user's memories are never visible to another, whatever the call says."""

from __future__ import annotations

import pytest

from memspan import Memory, ScopeError, ValidationError


@pytest.fixture
def shared(memory: Memory) -> Memory:
    memory.add("Alice's secret: she is planning a surprise party.", user_id="alice", infer=False)
    memory.add("Bob's secret: he is changing jobs.", user_id="bob", infer=False, metadata={"owner": "alice"})
    memory.add("Session note for run r1", user_id="alice", run_id="r1", infer=False)
    memory.add("Agent lesson: always confirm dates", agent_id="planner", infer=False)
    memory.add("Alice told the planner she likes tea", user_id="alice", agent_id="planner", infer=False)
    return memory


@pytest.mark.parametrize("operation", ["search", "get_all", "delete_all"])
def test_every_scoped_call_needs_a_scope(memory: Memory, operation: str) -> None:
    with pytest.raises(ScopeError, match="needs a scope"):
        if operation == "search":
            memory.search("anything")
        else:
            getattr(memory, operation)()


def test_add_needs_a_scope(memory: Memory) -> None:
    with pytest.raises(ScopeError):
        memory.add("hello there, I like tea")


@pytest.mark.parametrize("bad", ["", " ", "a b", "x" * 300, "../etc", "'; DROP TABLE memories; --", "\x00"])
def test_malformed_ids_are_rejected(memory: Memory, bad: str) -> None:
    with pytest.raises(ScopeError):
        memory.add("I like tea", user_id=bad)


def test_non_string_ids_are_rejected(memory: Memory) -> None:
    with pytest.raises(ScopeError, match="must be a string"):
        memory.search("tea", user_id=42)  # type: ignore[arg-type]


def test_search_never_crosses_users_whatever_the_filters(shared: Memory) -> None:
    for filters in (
        None,
        {"owner": "alice"},
        {"user_id": "bob"},
        {"OR": [{"user_id": "bob"}, {"owner": "alice"}]},
        {"NOT": {"user_id": "alice"}},
    ):
        hits = shared.search("secret", user_id="alice", filters=filters, limit=50)
        assert all(h.user_id == "alice" for h in hits), filters
        assert "Bob's secret: he is changing jobs." not in hits.texts()


def test_scope_ids_cannot_be_smuggled_through_metadata(memory: Memory) -> None:
    for key in ("user_id", "agent_id", "run_id", "id", "created_at"):
        with pytest.raises(ValidationError, match="reserved"):
            memory.add("I like tea", user_id="alice", metadata={key: "bob"})
    (change,) = memory.add("I like tea", user_id="alice").changes
    with pytest.raises(ValidationError, match="reserved"):
        memory.update(change.item.id, metadata={"user_id": "bob"})
    assert memory.get(change.item.id).user_id == "alice"


def test_scopes_combine_as_and(shared: Memory) -> None:
    assert shared.get_all(user_id="alice", run_id="r1")[0].text == "Session note for run r1"
    assert len(shared.get_all(user_id="alice", run_id="r1")) == 1
    assert {i.text for i in shared.get_all(agent_id="planner")} == {
        "Agent lesson: always confirm dates",
        "Alice told the planner she likes tea",
    }
    assert (
        shared.get_all(user_id="alice", agent_id="planner")[0].text == "Alice told the planner she likes tea"
    )
    assert shared.search("tea", user_id="carol").texts() == []


def test_delete_all_of_one_user_leaves_others_alone(shared: Memory) -> None:
    shared.delete_all(user_id="alice", purge=True)
    assert shared.get_all(user_id="alice", include_deleted=True) == []
    assert len(shared.get_all(user_id="bob")) == 1
    assert shared.get_all(agent_id="planner")[0].text == "Agent lesson: always confirm dates"


def test_keyword_search_matches_only_inside_the_scope(memory: Memory) -> None:
    # same words for many users: the keyword index must restrict the match to the scope itself
    for user in ("ann", "ann-2", "ann.2", "2-ann"):
        memory.add("zebra crossing near the bakery", user_id=user, run_id="r-1", infer=False)
    from memspan import Scope

    hits = memory.store.search_keyword(Scope(user_id="ann-2", run_id="r-1"), "zebra bakery", None, 10)
    assert [(h.user_id, h.run_id) for h, _ in hits] == [("ann-2", "r-1")]
    assert memory.store.search_keyword(Scope(user_id="ann-2", run_id="r-2"), "zebra", None, 10) == []
