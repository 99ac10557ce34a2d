"""Small PDF and DOCX documents built in the tests, so every fixture states what it holds.

PDFs come from fpdf2: each page is a list of lines, a line a string or a tuple of pieces; a
`Link` piece is text under a URI link annotation, an `Area` a link annotation over blank space.
Each line is written on its own (fpdf2 wraps a line too long for the page, as a layout would).

DOCX files come from python-docx, with footnotes and endnotes added as hand-written parts
(python-docx cannot write them): a paragraph is a string or a list of pieces.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr


@dataclass(frozen=True)
class Link:
    """Text under a link: an annotation in a PDF, a w:hyperlink in a DOCX."""

    text: str
    url: str


@dataclass(frozen=True)
class Area:
    """A PDF link annotation over blank space, with no text under it."""

    url: str


@dataclass(frozen=True)
class NoteRef:
    """A DOCX footnote (or endnote) reference mark."""

    id: int
    endnote: bool = False


@dataclass(frozen=True)
class FieldLink:
    """A DOCX hyperlink written as a complex HYPERLINK field, as older Word versions do."""

    text: str
    url: str


@dataclass(frozen=True)
class Table:
    rows: Sequence[Sequence[Paragraph]]


PdfPiece = str | Link | Area
PdfLine = str | tuple[PdfPiece, ...]
DocxPiece = str | Link | NoteRef | FieldLink
Paragraph = str | Sequence[DocxPiece]

LINE_HEIGHT = 6  # mm


def make_pdf(
    *pages: Sequence[PdfLine],
    title: str | None = None,
    created: dt.datetime | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    if title is not None:
        pdf.set_title(title)
    pdf.set_creation_date(created or dt.datetime(2024, 1, 2, tzinfo=dt.UTC))
    if owner_password is not None:
        pdf.set_encryption(owner_password=owner_password, user_password=user_password)
    for lines in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        for line in lines:
            for piece in [line] if isinstance(line, str) else line:
                if isinstance(piece, Link):
                    pdf.write(LINE_HEIGHT, piece.text, link=piece.url)
                elif isinstance(piece, Area):
                    pdf.link(pdf.get_x() + 5, pdf.get_y(), 30, LINE_HEIGHT, piece.url)
                else:
                    pdf.write(LINE_HEIGHT, piece)
            pdf.ln(LINE_HEIGHT)
    return bytes(pdf.output())


@dataclass(frozen=True)
class Marked:
    """A link annotation over pieces of text, each a (line index, substring) pair."""

    url: str
    pieces: Sequence[tuple[int, str]]
    quads: bool = True  # one QuadPoints box per piece; else only the Rect around them all


def make_pdf_runs(lines: Sequence[str], links: Sequence[Marked]) -> bytes:
    """One page whose lines are each a single run of text, as most PDF producers write them,
    with link annotations placed over parts of those runs."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    left, top = 20.0, 30.0
    for index, line in enumerate(lines):
        pdf.text(left, top + index * LINE_HEIGHT, line)
    for link in links:
        boxes = []  # x, y (top), w, h in mm from the page's top-left corner
        for index, piece in link.pieces:
            line = lines[index]
            x = left + pdf.get_string_width(line[: line.index(piece)])
            boxes.append((x, top + index * LINE_HEIGHT - 3.5, pdf.get_string_width(piece), 4.7))
        x0 = min(box[0] for box in boxes)
        y0 = min(box[1] for box in boxes)
        x1 = max(box[0] + box[2] for box in boxes)
        y1 = max(box[1] + box[3] for box in boxes)
        quad_points: list[float] = []
        for x, y, w, h in boxes:
            # Upper-left, upper-right, lower-left, lower-right, in points from the bottom.
            left_pt, right_pt = x * pdf.k, (x + w) * pdf.k
            upper, lower = pdf.h_pt - y * pdf.k, pdf.h_pt - (y + h) * pdf.k
            quad_points += [left_pt, upper, right_pt, upper, left_pt, lower, right_pt, lower]
        extra = {"quad_points": quad_points} if link.quads else {}
        pdf.link(x0, y0, x1 - x0, y1 - y0, link.url, **extra)
    return bytes(pdf.output())


def set_pdf_metadata(data: bytes, metadata: Mapping[str, str]) -> bytes:
    """The PDF with its document information dictionary replaced (pypdf writes it)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.metadata = None
    writer.add_metadata(dict(metadata))
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HYPERLINK = _R + "/hyperlink"


def make_docx(
    body: Sequence[Paragraph | Table],
    *,
    footnotes: Mapping[int, Sequence[Paragraph]] | None = None,
    endnotes: Mapping[int, Sequence[Paragraph]] | None = None,
    title: str | None = None,
    created: dt.datetime | None = None,
) -> bytes:
    import docx

    document = docx.Document()
    if title is not None:
        document.core_properties.title = title
    if created is not None:
        document.core_properties.created = created
    for block in body:
        if isinstance(block, Table):
            columns = max(len(row) for row in block.rows)
            table = document.add_table(rows=len(block.rows), cols=columns)
            for row, cells in zip(table.rows, block.rows, strict=True):
                for cell, paragraph in zip(row.cells, cells, strict=False):
                    _fill(cell.paragraphs[0], paragraph, document.part)
        else:
            _fill(document.add_paragraph(), block, document.part)
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    if footnotes:
        data = _add_notes(data, "footnote", footnotes)
    if endnotes:
        data = _add_notes(data, "endnote", endnotes)
    return data


def _fill(paragraph: Any, pieces: Paragraph, part: Any) -> None:
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = paragraph._p
    for piece in [pieces] if isinstance(pieces, str) else pieces:
        if isinstance(piece, Link):
            r_id = part.relate_to(piece.url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
            hyperlink = OxmlElement("w:hyperlink")
            hyperlink.set(qn("r:id"), r_id)
            hyperlink.append(_run(piece.text))
            element.append(hyperlink)
        elif isinstance(piece, NoteRef):
            run = OxmlElement("w:r")
            tag = "w:endnoteReference" if piece.endnote else "w:footnoteReference"
            reference = OxmlElement(tag)
            reference.set(qn("w:id"), str(piece.id))
            run.append(reference)
            element.append(run)
        elif isinstance(piece, FieldLink):
            for kind, instruction in (("begin", None), (None, piece.url), ("separate", None)):
                run = OxmlElement("w:r")
                if kind is not None:
                    char = OxmlElement("w:fldChar")
                    char.set(qn("w:fldCharType"), kind)
                    run.append(char)
                else:
                    text = OxmlElement("w:instrText")
                    text.set(qn("xml:space"), "preserve")
                    text.text = f' HYPERLINK "{instruction}" '
                    run.append(text)
                element.append(run)
            element.append(_run(piece.text))
            end = OxmlElement("w:r")
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), "end")
            end.append(char)
            element.append(end)
        else:
            element.append(_run(piece))


def _run(text: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    t.text = text
    run.append(t)
    return run


def _add_notes(data: bytes, kind: str, notes: Mapping[int, Sequence[Paragraph]]) -> bytes:
    """Add word/footnotes.xml (or endnotes.xml) with its relationships to a saved DOCX."""
    rels: list[str] = []
    xml_notes = [
        # Word always writes the two separator notes; they must not count as notes.
        f'<w:{kind} w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:{kind}>',
        f'<w:{kind} w:type="continuationSeparator" w:id="0"><w:p><w:r>'
        f"<w:continuationSeparator/></w:r></w:p></w:{kind}>",
    ]
    for note_id, paragraphs in notes.items():
        body = []
        for index, paragraph in enumerate(paragraphs):
            runs = [f"<w:r><w:{kind}Ref/></w:r>"] if index == 0 else []
            for piece in [paragraph] if isinstance(paragraph, str) else paragraph:
                if isinstance(piece, Link):
                    r_id = f"rId{len(rels) + 1}"
                    rels.append(
                        f'<Relationship Id="{r_id}" Type="{_HYPERLINK}" '
                        f'Target={quoteattr(piece.url)} TargetMode="External"/>'
                    )
                    runs.append(f'<w:hyperlink r:id="{r_id}">{_run_xml(piece.text)}</w:hyperlink>')
                elif isinstance(piece, str):
                    runs.append(_run_xml(piece))
            body.append(f"<w:p>{''.join(runs)}</w:p>")
        xml_notes.append(f'<w:{kind} w:id="{note_id}">{"".join(body)}</w:{kind}>')
    part = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:{kind}s xmlns:w="{_W}" xmlns:r="{_R}">{"".join(xml_notes)}</w:{kind}s>'
    )
    part_rels = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Relationships xmlns="{_RELS}">{"".join(rels)}</Relationships>'
    )
    content_type = f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}s+xml"
    override = f'<Override PartName="/word/{kind}s.xml" ContentType="{content_type}"/>'
    document_rel = f'<Relationship Id="rIdNotes{kind}" Type="{_R}/{kind}s" Target="{kind}s.xml"/>'

    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", override.encode() + b"</Types>")
            elif item.filename == "word/_rels/document.xml.rels":
                content = content.replace(
                    b"</Relationships>", document_rel.encode() + b"</Relationships>"
                )
            target.writestr(item, content)
        target.writestr(f"word/{kind}s.xml", part)
        target.writestr(f"word/_rels/{kind}s.xml.rels", part_rels)
    return buffer.getvalue()


def _run_xml(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
