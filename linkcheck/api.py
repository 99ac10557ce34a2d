"""The library entry points behind `linkcheck.extract` and `linkcheck.audit`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from linkcheck.models import Format, Report
from linkcheck.pipeline import ExtractOptions, assemble, read_documents


def extract(
    paths: Sequence[str],
    *,
    input_format: Format | str | None = None,
    base_url: str | None = None,
    date: dt.date | None = None,
    stdin: bytes | None = None,
) -> Report:
    """Every link of the documents with its occurrences and claims; no network."""
    options = ExtractOptions(
        input_format=Format(input_format) if input_format else None, base_url=base_url, date=date
    )
    extractions, problems = read_documents(paths, options, stdin=stdin)
    return assemble(extractions, problems)
