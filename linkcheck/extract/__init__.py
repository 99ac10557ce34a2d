"""Extraction: every link of every document, with where it stands.

One module per format; this module only finds the inputs, tells their formats apart and
dispatches. A document that cannot be read becomes an InputProblem, and the run goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkcheck.lazy import lazy_exports

if TYPE_CHECKING:
    from linkcheck.extract.sources import Source, detect_format, extract_source, gather_sources

__all__ = ["Source", "detect_format", "extract_source", "gather_sources"]

# `import linkcheck` (and so `linkcheck --version`) imports this package, and must not pay for
# the extractors.
__getattr__ = lazy_exports(__name__, {"linkcheck.extract.sources": __all__})
