"""linkcheck: a citation and link-integrity checker for policy documents.

The public API is small on purpose:

    >>> import linkcheck
    >>> report = linkcheck.extract(["brief.pdf"])            # offline: links and their claims
    >>> report.links[0].occurrences[0].claim.claim.text
    >>> report = linkcheck.audit(["brief.pdf"])              # checked, archived, judged
    >>> [(link.url, link.verdict.status) for link in report.links]

Everything else is reachable through the stage packages (`linkcheck.extract`,
`linkcheck.claims`, `linkcheck.report`), whose insides may change.
"""

from __future__ import annotations

__version__ = "0.1.0"

# The stage package `linkcheck.extract` is imported first so that the function of the same name,
# bound next, is what `linkcheck.extract` means (importing a subpackage later would rebind it).
# Both are cheap: the stage package loads its modules on first use, and the API functions
# import the pipeline when they run.
from typing import TYPE_CHECKING

import linkcheck.extract as _extract_stage  # noqa: F401
from linkcheck.api import audit, extract
from linkcheck.errors import ExitCode, InputError
from linkcheck.lazy import lazy_exports

if TYPE_CHECKING:
    from linkcheck.models import (
        Claim,
        ClaimMatch,
        Document,
        Format,
        InputProblem,
        Link,
        Location,
        MatchMethod,
        Occurrence,
        OccurrenceKind,
        Report,
        Status,
        Verdict,
    )


__all__ = [
    "Claim",
    "ClaimMatch",
    "Document",
    "ExitCode",
    "Format",
    "InputError",
    "InputProblem",
    "Link",
    "Location",
    "MatchMethod",
    "Occurrence",
    "OccurrenceKind",
    "Report",
    "Status",
    "Verdict",
    "__version__",
    "audit",
    "extract",
]
_EAGER = {"ExitCode", "InputError", "__version__", "audit", "extract"}
# The data model is loaded on first use, so `linkcheck --version` does not build it.
__getattr__ = lazy_exports(__name__, {"linkcheck.models": set(__all__) - _EAGER})
