"""Support: the optional semantic scorer loads only when its extra is installed."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

import pytest

from linkcheck.support import Scorer, load_scorer, semantic


class Echo:
    def score(self, claim: str, passages: Sequence[str]) -> list[float]:
        return [1.0 if claim == passage else 0.0 for passage in passages]


def test_a_plain_class_is_a_scorer() -> None:
    assert isinstance(Echo(), Scorer)
    assert Echo().score("a", ["a", "b"]) == [1.0, 0.0]


def test_loader_returns_none_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semantic, "_installed", lambda name: False)
    before = set(sys.modules)
    assert load_scorer() is None
    assert load_scorer("/nonexistent/model") is None
    assert not {"torch", "sentence_transformers"} & (set(sys.modules) - before)


def test_loader_without_a_bundled_model_never_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    # sentence-transformers present but no model package: loading by name would hit the network.
    monkeypatch.setattr(semantic, "_installed", lambda name: name == "sentence_transformers")
    assert load_scorer() is None


def test_loader_in_this_environment() -> None:
    if importlib.util.find_spec("sentence_transformers") is not None:
        pytest.skip("an embedding extra is installed: loading a model is not a unit test")
    assert load_scorer() is None
    assert "torch" not in sys.modules


def test_embedding_scorer_clips_cosines() -> None:
    class Model:
        def encode(self, texts: list[str], normalize_embeddings: bool) -> list[list[float]]:
            assert normalize_embeddings
            table = {"claim": [1.0, 0.0], "same": [1.0, 0.0], "opposite": [-1.0, 0.0]}
            return [table[text] for text in texts]

    scorer = semantic.EmbeddingScorer(Model())
    assert scorer.score("claim", ["same", "opposite"]) == [1.0, 0.0]
    assert scorer.score("claim", []) == []
