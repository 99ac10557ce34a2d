"""The archived ("robust links") copy of each document.

Markdown and HTML documents get a copy of themselves whose links carry their snapshots (Robust
Links attributes in HTML, a visible "[archived YYYY-MM-DD]" link after each link in Markdown).
PDF, DOCX and text documents cannot be rewritten faithfully, so they get a Markdown and an HTML
table of their claims, links and snapshots instead.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from linkcheck.archive.files import write_atomic
from linkcheck.archive.robust import (
    robustify_html,
    robustify_markdown,
    rows_from_links,
    snapshot_table_html,
    snapshot_table_markdown,
)
from linkcheck.models import Document, Format, Link, Report


def write_archived_copies(report: Report, out_dir: Path) -> list[Path]:
    """One archived copy (or snapshot table) per document, written into `out_dir`."""
    written: list[Path] = []
    for document in report.documents:
        links = [
            link
            for link in report.links
            if any(o.location.document == document.source for o in link.occurrences)
        ]
        written.extend(_write_one(document, links, out_dir))
    return written


def _write_one(document: Document, links: list[Link], out_dir: Path) -> list[Path]:
    snapshots = {link.url: link.archive for link in links if link.archive is not None}
    stem = Path(document.source).name if document.source != "-" else "stdin"
    original = Path(document.source)
    if document.format in (Format.MARKDOWN, Format.HTML) and original.is_file():
        text = original.read_text(encoding="utf-8", errors="replace")
        if document.format is Format.HTML:
            copy = robustify_html(text, snapshots, document.date)
        else:
            copy = robustify_markdown(text, snapshots, document.date)
        target = out_dir / _archived_name(stem)
        write_atomic(target, copy)
        return [target]
    rows = rows_from_links(links, document.date)
    title = document.title or stem
    markdown = f"# Archived links: {title}\n\n" + snapshot_table_markdown(rows)
    html = (
        f'<!doctype html>\n<html><head><meta charset="utf-8"><title>Archived links: '
        f"{escape(title)}</title></head>\n<body>\n<h1>Archived links: {escape(title)}</h1>\n"
        f"{snapshot_table_html(rows)}\n</body></html>\n"
    )
    targets = [out_dir / f"{stem}.archived.md", out_dir / f"{stem}.archived.html"]
    write_atomic(targets[0], markdown)
    write_atomic(targets[1], html)
    return targets


def _archived_name(name: str) -> str:
    """brief.md -> brief.archived.md: the copy sits beside the original's name."""
    path = Path(name)
    return f"{path.stem}.archived{path.suffix}"
