"""The smallest reproduction of each defect the reliability suites found, so none comes back."""

from __future__ import annotations

from pathlib import Path

import pytest

from memspan import Memory, ScopeError, ValidationError
from memspan.cli import main as cli_main
from memspan.embedders import HashingEmbedder
from memspan.scope import Scope


@pytest.fixture
def mem(tmp_path: Path) -> Memory:
    return Memory(tmp_path / "m.db", embedder=HashingEmbedder(64))


def test_keyword_search_survives_a_text_update(mem: Memory) -> None:
    """The FTS5 update triggers fired insert-then-delete, dropping the row's length record: bm25 then
    failed with 'database disk image is malformed' for every later search that matched the row."""
    memory_id = mem.add("I like tea", user_id="u", infer=False).added[0].id
    mem.update(memory_id, "I like coffee")
    mem.update(memory_id, "I like cocoa")
    assert mem.search("cocoa", user_id="u").texts() == ["I like cocoa"]
    keyword = mem.store.search_keyword(Scope(user_id="u"), "tea coffee cocoa", None, 5)
    assert [item.text for item, _ in keyword] == ["I like cocoa"]


@pytest.mark.parametrize("bad", ["alice\n", "alice\r\n", "\nalice"])
def test_ids_with_line_breaks_are_refused(mem: Memory, bad: str) -> None:
    """``$`` in the id pattern matched before a trailing newline, so 'alice\\n' was a valid user."""
    with pytest.raises(ScopeError):
        mem.add("I like tea", user_id=bad, infer=False)
    with pytest.raises(ScopeError):
        mem.get(bad)


@pytest.mark.parametrize("text", ["broken \ud800 surrogate", "\udcff"])
def test_lone_surrogates_are_a_validation_error(mem: Memory, text: str) -> None:
    """Text that cannot be encoded as UTF-8 reached SQLite and raised UnicodeEncodeError."""
    with pytest.raises(ValidationError, match="UTF-8"):
        mem.add(text, user_id="u", infer=False)
    with pytest.raises(ValidationError, match="UTF-8"):
        mem.search(text, user_id="u")
    memory_id = mem.add("fine text", user_id="u", infer=False).added[0].id
    with pytest.raises(ValidationError, match="UTF-8"):
        mem.update(memory_id, text)
    assert mem.get(memory_id).text == "fine text"
    assert mem.store.count() == 1


def test_deeply_nested_metadata_is_a_validation_error(mem: Memory) -> None:
    """json.dumps raised RecursionError, which is not a ValueError."""
    nested: dict[str, object] = {}
    inner = nested
    for _ in range(100_000):
        inner["k"] = {}
        inner = inner["k"]  # type: ignore[assignment]
    with pytest.raises(ValidationError, match="metadata"):
        mem.add("I like tea", user_id="u", metadata=nested, infer=False)
    assert mem.store.count() == 0


def test_update_has_the_same_length_limit_as_add(mem: Memory) -> None:
    memory_id = mem.add("short", user_id="u", infer=False).added[0].id
    with pytest.raises(ValidationError, match="limit"):
        mem.update(memory_id, "x" * (mem.settings.max_message_chars + 1))
    assert mem.get(memory_id).text == "short"


@pytest.mark.parametrize(
    "argv",
    [
        ["search", "tea", "-u", "u", "--filters", "{not json"],
        ["search", "tea", "-u", "u", "--filters", "[" * 100_000],
        ["add", "tea", "-u", "u", "--metadata", "{'single': 'quotes'}"],
        ["add", "tea", "-u", "u", "--metadata", "[1, 2]"],
    ],
)
def test_cli_reports_bad_json_options_as_errors(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--filters and --metadata went straight to json.loads: a traceback instead of an error line."""
    code = cli_main(["--db", str(tmp_path / "cli.db"), *argv])
    assert code == 2
    assert "memspan: error:" in capsys.readouterr().err
    if (tmp_path / "cli.db").exists():
        with Memory(tmp_path / "cli.db", embedder=HashingEmbedder(64)) as after:
            assert after.store.count(include_deleted=True) == 0
