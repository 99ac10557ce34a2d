"""CSV: one row per link occurrence, for spreadsheets."""

from __future__ import annotations

import csv
import io

from linkcheck.models import Report

COLUMNS = [
    "url",
    "status",
    "reason",
    "http_status",
    "final_url",
    "document",
    "page",
    "line",
    "column",
    "kind",
    "anchor_text",
    "claim",
    "confidence",
    "method",
]


def render_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for link in report.links:
        verdict = link.verdict
        for occurrence in link.occurrences:
            match = occurrence.claim
            location = occurrence.location
            writer.writerow(
                [
                    link.url,
                    verdict.status,
                    verdict.reason or "",
                    verdict.http_status or "",
                    verdict.final_url or "",
                    location.document,
                    location.page or "",
                    location.line or "",
                    location.column or "",
                    occurrence.kind,
                    occurrence.anchor_text or "",
                    match.claim.text if match else "",
                    match.confidence if match else "",
                    match.method if match else "",
                ]
            )
    return buffer.getvalue()
