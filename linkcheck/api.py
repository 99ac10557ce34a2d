"""The library entry points behind `linkcheck.extract` and `linkcheck.audit`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

# The pipeline (and through it every stage, and the models) is imported when a function runs,
# not with the package: `linkcheck --help` and `import linkcheck` stay fast.
if TYPE_CHECKING:
    from linkcheck.archive import ArchiveConfig
    from linkcheck.check import CheckConfig
    from linkcheck.models import Format, Report


def extract(
    paths: Sequence[str],
    *,
    input_format: Format | str | None = None,
    base_url: str | None = None,
    date: dt.date | None = None,
    stdin: bytes | None = None,
) -> Report:
    """Every link of the documents with its occurrences and claims; no network."""
    from linkcheck.models import Format
    from linkcheck.pipeline import ExtractOptions, assemble, read_documents

    options = ExtractOptions(
        input_format=Format(input_format) if input_format else None, base_url=base_url, date=date
    )
    extractions, problems = read_documents(paths, options, stdin=stdin)
    return assemble(extractions, problems)


def audit(
    paths: Sequence[str],
    *,
    input_format: Format | str | None = None,
    base_url: str | None = None,
    date: dt.date | None = None,
    stdin: bytes | None = None,
    check: CheckConfig | None = None,
    archive: ArchiveConfig | None = None,
    archive_mode: str = "all",
    support: bool = True,
    warc: str | None = None,
    offline: bool = False,
) -> Report:
    """Extract, check, archive and judge support: the library form of `linkcheck audit`.

    `check` and `archive` default to the public-internet settings (`CheckConfig()`,
    `ArchiveConfig()` with keys from the environment); `offline=True` skips the network.
    Links that could not be checked because the machine is offline come back `unreachable`.
    """
    import os
    from pathlib import Path

    from linkcheck.archive import ArchiveConfig
    from linkcheck.check import CheckConfig
    from linkcheck.models import ArchiveMode, Format
    from linkcheck.pipeline import AuditOptions, ExtractOptions, audit_documents, run_sync

    options = AuditOptions(
        check=None if offline else (check or CheckConfig()),
        archive=archive or ArchiveConfig().with_keys_from(os.environ),
        archive_mode=ArchiveMode(archive_mode),
        support=support,
        warc=Path(warc) if warc else None,
    )
    extract_options = ExtractOptions(
        input_format=Format(input_format) if input_format else None, base_url=base_url, date=date
    )
    result = run_sync(audit_documents(paths, extract_options, options, stdin=stdin))
    return result.report
