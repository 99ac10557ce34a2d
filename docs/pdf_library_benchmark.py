"""The measurement behind docs/PDF-LIBRARY.md: pypdf (as linkcheck.extract.pdf uses it) against
pdfplumber (on pdfminer.six) on a generated PDF.

    .venv/bin/pip install pdfplumber      # for the measurement only
    .venv/bin/python docs/pdf_library_benchmark.py [pages]      # default 300

Each page: ~1,100 words of prose written in pieces with 10 links (fpdf2 writes each piece as its
own text run), 3 single-run lines with a link annotation over a phrase inside the run (as Word
and LibreOffice write lines), and an endnote whose long URL the layout wraps mid-token.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import sys
import time
from collections.abc import Callable

from fpdf import FPDF

from linkcheck.extract.text import analyze_lines

WORDS = (
    "policy report evidence funding agency health public review data impact programme "
    "national regional local survey analysis results outcome budget council strategy"
).split()
Found = list[tuple[int, str, str | None]]  # page, url, anchor text


def build(pages: int) -> tuple[bytes, Found, list[tuple[int, str]]]:
    rng = random.Random(7)
    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2023, 5, 17, tzinfo=dt.UTC))
    pdf.set_auto_page_break(False)
    expected: Found = []
    wrapped: list[tuple[int, str]] = []
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        pdf.set_xy(20, 20)
        for k in range(10):
            prose = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 25)))
            pdf.write(5, prose.capitalize() + " according to the ")
            anchor = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))).title()
            url = f"https://example{k}.org/p{n}/{rng.choice(WORDS)}-{k}"
            pdf.write(5, anchor, link=url)
            pdf.write(5, f" published in {2000 + k}.{k + 1} ")
            expected.append((n, url, anchor))
        y = pdf.get_y() + 12
        for k in range(3):
            before = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8))).capitalize()
            anchor = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 3)))
            line = f"{before} {anchor} {' '.join(rng.choice(WORDS) for _ in range(4))}."
            baseline = y + 6 * k
            pdf.text(20, baseline, line)
            x = 20 + pdf.get_string_width(before + " ")
            url = f"https://runs{k}.example/p{n}"
            pdf.link(x, baseline - 3.5, pdf.get_string_width(anchor), 4.7, url)
            expected.append((n, url, anchor))
        pdf.set_xy(20, y + 20)
        url = f"https://www.example.gov/documents/{n}/annual-review/{'x' * 30}/final-{n}.pdf"
        # A layout wraps a long URL at the line's end, anywhere in it.
        pdf.multi_cell(0, 5, f"1. Annual review of the programme, see {url}", wrapmode="CHAR")
        wrapped.append((n, url))
    return bytes(pdf.output()), expected, wrapped


def run_pypdf(data: bytes) -> Found:
    from linkcheck.extract.pdf import extract_pdf

    extraction = extract_pdf(data, "bench.pdf")
    return [(link.location.page or 0, link.url, link.anchor_text) for link in extraction.links]


def run_pdfplumber(data: bytes) -> Found:
    import pdfplumber

    found: Found = []
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        for n, page in enumerate(pdf.pages, start=1):
            text = page.extract_text()
            _, links = analyze_lines(text.splitlines(), source="b", first_page=n, fixed_page=True)
            found += [(n, link.url, None) for link in links]
            for link in page.hyperlinks:
                # Characters whose centre lies in the link's box, as the pypdf side does.
                def inside(obj: dict[str, object], box: dict[str, float] = link) -> bool:
                    if obj["object_type"] != "char":
                        return False
                    x = (float(obj["x0"]) + float(obj["x1"])) / 2  # type: ignore[arg-type]
                    y = (float(obj["top"]) + float(obj["bottom"])) / 2  # type: ignore[arg-type]
                    return box["x0"] <= x <= box["x1"] and box["top"] <= y <= box["bottom"]

                anchor = " ".join((page.filter(inside).extract_text() or "").split())
                # A link wrapped over two lines is two annotations with one URI: join them.
                if found and found[-1][:2] == (n, link["uri"]):
                    anchor = f"{found.pop()[2]} {anchor}"
                found.append((n, link["uri"], anchor))
    return found


def check(name: str, found: Found, expected: Found, wrapped: list[tuple[int, str]]) -> None:
    # fpdf2 breaks a word at a line's end, so a layout-true anchor may read "Re sults".
    got = {(page, url): "".join((anchor or "").split()) for page, url, anchor in found}
    right = sum(got.get((page, url)) == "".join((a or "").split()) for page, url, a in expected)
    joined = sum((page, url) in got for page, url in wrapped)
    print(f"  {name}: anchors right {right}/{len(expected)}, wrapped URLs {joined}/{len(wrapped)}")


def timed(run: Callable[[bytes], Found], data: bytes, repeat: int) -> tuple[float, Found]:
    """Best CPU seconds of `repeat` runs: CPU time, as the machine may be shared."""
    best, found = float("inf"), []
    for _ in range(repeat):
        start = time.process_time()
        found = run(data)
        best = min(best, time.process_time() - start)
    return best, found


def main() -> None:
    pages = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    data, expected, wrapped = build(pages)
    print(f"{pages} pages, {len(data) / 1e6:.1f} MB, {len(expected)} link annotations")
    for name, run, repeat in (("pypdf", run_pypdf, 3), ("pdfplumber", run_pdfplumber, 1)):
        seconds, found = timed(run, data, repeat)
        print(f"{name}: {seconds:.2f} CPU s, {seconds / pages * 100:.2f} s per 100 pages")
        check(name, found, expected, wrapped)

    import pypdf
    from pdfminer.high_level import extract_text

    start = time.process_time()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        page.extract_text()
    seconds = time.process_time() - start
    print(f"pypdf extract_text alone: {seconds / pages * 100:.2f} s per 100 pages")
    start = time.process_time()
    extract_text(io.BytesIO(data))
    seconds = time.process_time() - start
    print(f"pdfminer.six extract_text alone: {seconds / pages * 100:.2f} s per 100 pages")


if __name__ == "__main__":
    main()
