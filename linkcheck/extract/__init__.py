"""Extraction: every link of every document, with where it stands.

One module per format; this module only finds the inputs, tells their formats apart and
dispatches. A document that cannot be read becomes an InputProblem, and the run goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkcheck.extract.sources import Source, detect_format, extract_source, gather_sources

__all__ = ["Source", "detect_format", "extract_source", "gather_sources"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: `import linkcheck` (and so `linkcheck --version`) imports this
    # package, and must not pay for the extractors.
    if name in __all__:
        from linkcheck.extract import sources

        return getattr(sources, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
