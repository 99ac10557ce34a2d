"""Inputs: paths, directories, globs and stdin; format by extension and by sniffing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import glob
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from linkcheck.errors import InputError
from linkcheck.extract.dates import find_date_in_text
from linkcheck.models import Extraction, Format, InputProblem

_EXTENSIONS = {
    ".txt": Format.TEXT,
    ".text": Format.TEXT,
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".mdown": Format.MARKDOWN,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".xhtml": Format.HTML,
    ".pdf": Format.PDF,
    ".docx": Format.DOCX,
}
# Files a directory walk passes over without a word: they are not documents.
_IGNORED_DIRECTORIES = {
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
    ".linkcheck",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
}
MAX_DOCUMENT_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """One document to read: its name in reports and its bytes."""

    name: str
    data: bytes
    format: Format | None = None  # None: decide by extension, then by sniffing


def gather_sources(
    paths: Iterable[str], *, stdin: bytes | None = None, format: Format | None = None
) -> tuple[list[Source], list[InputProblem]]:
    """Expand paths, directories (recursively, documents only) and globs into sources."""
    sources: list[Source] = []
    problems: list[InputProblem] = []
    for given in paths:
        if given == "-":
            sources.append(Source("-", stdin or b"", format))
            continue
        matches = sorted(glob.glob(given, recursive=True)) if glob.has_magic(given) else [given]
        if not matches:
            problems.append(
                InputProblem(given, "missing", f"{given}: no file matches this pattern")
            )
        for match in matches:
            path = Path(match)
            if path.is_dir():
                for file in _walk(path):
                    _read(file, format, sources, problems)
            else:
                _read(path, format, sources, problems)
    return sources, problems


def _walk(directory: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if d not in _IGNORED_DIRECTORIES and not d.startswith("."))
        for name in sorted(files):
            if Path(name).suffix.lower() in _EXTENSIONS:
                found.append(Path(root) / name)
    return found


def _read(
    path: Path, format: Format | None, sources: list[Source], problems: list[InputProblem]
) -> None:
    name = str(path)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            problems.append(InputProblem(name, "too-large", f"{name}: larger than 200 MB"))
            return
        sources.append(Source(name, path.read_bytes(), format))
    except FileNotFoundError:
        problems.append(InputProblem(name, "missing", f"{name}: no such file"))
    except IsADirectoryError:
        problems.append(InputProblem(name, "unreadable", f"{name}: is a directory"))
    except OSError as error:
        problems.append(InputProblem(name, "unreadable", f"{name}: {error.strerror or error}"))


def detect_format(name: str, data: bytes) -> Format | None:
    """The format from the bytes first (a PDF named .txt is a PDF), then from the extension."""
    head = data[:2048].lstrip()
    if head.startswith(b"%PDF-"):
        return Format.PDF
    if head.startswith(b"PK\x03\x04"):
        return Format.DOCX if b"word/" in data[:65536] or name.lower().endswith(".docx") else None
    by_extension = _EXTENSIONS.get(Path(name).suffix.lower())
    if by_extension in (Format.PDF, Format.DOCX):
        return by_extension  # the bytes above did not confirm it; the reader reports corruption
    if by_extension is not None:
        return by_extension
    lowered = head[:1024].lower()
    if (
        lowered.startswith((b"<!doctype html", b"<html"))
        or b"<body" in lowered
        or b"<a href" in lowered
    ):
        return Format.HTML
    if _looks_like_markdown(head.decode("utf-8", "replace")):
        return Format.MARKDOWN
    return Format.TEXT


def _looks_like_markdown(text: str) -> bool:
    markers = ("](", "\n# ", "\n## ", "```", "[^")
    return text.startswith("# ") or sum(marker in text for marker in markers) >= 1


def decode_text(name: str, data: bytes) -> str:
    """Text from bytes: UTF-8 (with or without BOM), else Windows-1252; binary junk refused."""
    if b"\x00" in data[:8192]:
        raise InputError("binary", f"{name}: binary data, not a text document")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if sample and controls / len(sample) > 0.05:
        raise InputError("binary", f"{name}: binary data, not a text document")
    return text


def extract_source(
    source: Source,
    *,
    base_url: str | None = None,
    date: dt.date | None = None,
    found: Callable[[Sequence[str]], None] | None = None,
) -> Extraction:
    """Read one source with the extractor for its format. Raises InputError when it cannot.
    `found` hears of the links' URLs as they are found: while a Markdown document is walked,
    or once the document has been read for the other formats."""
    format = source.format or detect_format(source.name, source.data)
    if format is None:
        raise InputError("unsupported-format", f"{source.name}: unsupported format")
    if format is Format.PDF:
        from linkcheck.extract.pdf import extract_pdf

        extraction = extract_pdf(source.data, source.name)
    elif format is Format.DOCX:
        from linkcheck.extract.docx import extract_docx

        extraction = extract_docx(source.data, source.name)
    else:
        text = decode_text(source.name, source.data)
        if format is Format.HTML:
            from linkcheck.extract.html import extract_html

            extraction = extract_html(text, source.name, base_url=base_url)
        elif format is Format.MARKDOWN:
            from linkcheck.extract.markdown import extract_markdown

            extraction = extract_markdown(text, source.name, base_url=base_url, found=found)
            found = None  # already told
        else:
            from linkcheck.extract.text import extract_text

            extraction = extract_text(text, source.name)
    if found is not None:
        found([raw.url for raw in extraction.links])
    return _with_date(extraction, date)


def _with_date(extraction: Extraction, date: dt.date | None) -> Extraction:
    """--date wins; else the extractor's metadata date; else a date written in the text."""
    document = extraction.document
    if date is not None:
        document = dataclasses.replace(document, date=date, date_source="option")
    elif document.date is None:
        found = find_date_in_text("\n".join(page.text for page in extraction.pages[:2]))
        if found is not None:
            document = dataclasses.replace(document, date=found, date_source="text")
    return dataclasses.replace(extraction, document=document)
