"""Inputs for the benchmark: the URL list (as one Markdown file every tool reads) and the
documents of the extraction benchmark (a 500-page PDF, a 5 MB Markdown file, a 5 MB HTML file).
Everything is generated from fixed seeds, so two runs read the same bytes."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from pathlib import Path

WORDS = (
    "policy report evidence funding agency health public review data impact programme national "
    "regional local survey analysis results outcome budget council strategy committee annual "
    "statement ministry department commission framework assessment development research "
    "education transport housing environment energy trade security cooperation border"
).split()

# Share of each kind of URL in the link list (the rest are ordinary 20-100 KB pages).
MIX = (("old", 0.05), ("gone", 0.05), ("big", 0.03), ("doc", 0.01))


def url_list(
    count: int, hosts: list[str], port: int, seed: int = 42
) -> tuple[list[str], Counter[str]]:
    """`count` unique URLs spread round-robin over `hosts`, in a shuffled mix of kinds."""
    rng = random.Random(seed)
    kinds: list[str] = []
    for kind, share in MIX:
        kinds.extend([kind] * round(count * share))
    kinds.extend(["p"] * (count - len(kinds)))
    rng.shuffle(kinds)
    urls = []
    for index, kind in enumerate(kinds):
        host = hosts[index % len(hosts)]
        slug = rng.choice(WORDS)
        urls.append(f"http://{host}:{port}/{kind}/{index}-{slug}")
    return urls, Counter(kinds)


def links_markdown(urls: list[str], seed: int = 7) -> str:
    """A Markdown reading list: one numbered entry per URL, with prose around each link."""
    rng = random.Random(seed)
    lines = ["# Benchmark reading list", ""]
    for number, url in enumerate(urls, start=1):
        title = " ".join(rng.choices(WORDS, k=3)).title()
        lines.append(f"{number}. {title}, {2000 + number % 24}: [{title}]({url})")
    lines.append("")
    return "\n".join(lines)


def _sentence(rng: random.Random, low: int = 8, high: int = 24) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high))).capitalize()


def big_markdown(target_bytes: int, seed: int = 11) -> str:
    """About `target_bytes` of Markdown prose: headings, paragraphs with inline links, lists
    with autolinks, and reference links, like a long policy report."""
    rng = random.Random(seed)
    parts = ["---\ntitle: Benchmark report\ndate: 2024-03-01\n---\n\n# Benchmark report\n\n"]
    size = len(parts[0])
    n = 0
    references = []
    while size < target_bytes:
        n += 1
        if n % 20 == 1:
            block = f"## Section {n // 20 + 1}: {' '.join(rng.choices(WORDS, k=3)).title()}\n\n"
        elif n % 7 == 0:
            items = [
                f"- {_sentence(rng, 4, 10)} "
                f"<https://list{rng.randint(0, 99)}.policy-data.org/{n}/{k}>"
                for k in range(4)
            ]
            block = "\n".join(items) + "\n\n"
        else:
            url = f"https://www.agency{rng.randint(0, 499)}.gov/reports/{n}/{rng.choice(WORDS)}"
            ref = f"ref{n}"
            references.append(f"[{ref}]: https://ref.research-archive.net/{n}/{rng.choice(WORDS)}")
            block = (
                f"{_sentence(rng)} [{' '.join(rng.choices(WORDS, k=2))}]({url}). "
                f"{_sentence(rng)}, according to the [{rng.choice(WORDS)}][{ref}]. "
                f"{_sentence(rng, 20, 60)}.\n\n"
            )
        parts.append(block)
        size += len(block)
    parts.append("\n".join(references) + "\n")
    return "".join(parts)


def big_html(target_bytes: int, seed: int = 13) -> str:
    """About `target_bytes` of HTML: a long report page with links in paragraphs and lists."""
    rng = random.Random(seed)
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<title>Benchmark report</title><meta name="date" content="2024-03-01"></head>\n'
        "<body><main><h1>Benchmark report</h1>\n"
    )
    parts = [head]
    size = len(head)
    n = 0
    while size < target_bytes:
        n += 1
        if n % 20 == 1:
            block = f'<h2 id="s{n}">{" ".join(rng.choices(WORDS, k=3)).title()}</h2>\n'
        elif n % 7 == 0:
            items = "".join(
                f"<li>{_sentence(rng, 4, 10)} "
                f'<a href="https://list{rng.randint(0, 99)}.policy-data.org/{n}/{k}">'
                "source</a></li>"
                for k in range(4)
            )
            block = f"<ul>{items}</ul>\n"
        else:
            url = f"https://www.agency{rng.randint(0, 499)}.gov/reports/{n}/{rng.choice(WORDS)}"
            block = (
                f'<p>{_sentence(rng)} <a href="{url}">{" ".join(rng.choices(WORDS, k=2))}</a>. '
                f'{_sentence(rng)}, see <a href="https://ref.research-archive.net/{n}">the '
                f"{rng.choice(WORDS)}</a>. {_sentence(rng, 20, 60)}.</p>\n"
            )
        parts.append(block)
        size += len(block)
    parts.append("</main></body></html>\n")
    return "".join(parts)


def big_pdf(pages: int, links_per_page: int = 10, seed: int = 17) -> bytes:
    """A `pages`-page PDF with `links_per_page` link annotations per page, in prose (fpdf2)."""
    from fpdf import FPDF

    rng = random.Random(seed)
    pdf = FPDF()
    pdf.set_creation_date(dt.datetime(2024, 3, 1, tzinfo=dt.UTC))
    pdf.set_auto_page_break(False)
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        pdf.set_xy(20, 20)
        for k in range(links_per_page):
            pdf.write(5, _sentence(rng) + " according to the ")
            anchor = " ".join(rng.choices(WORDS, k=rng.randint(1, 4))).title()
            url = f"https://publisher{k}.org/p{n}/{rng.choice(WORDS)}-{k}"
            pdf.write(5, anchor, link=url)
            pdf.write(5, f" published in {2000 + k}. {_sentence(rng, 10, 30)}. ")
    return bytes(pdf.output())


# Bump when the generated documents change, so that cached copies are not reused.
VERSION = 2


def extraction_files(directory: Path, pdf_pages: int, text_bytes: int) -> dict[str, Path]:
    return {
        "pdf": directory / f"report-v{VERSION}-{pdf_pages}p.pdf",
        "markdown": directory / f"report-v{VERSION}-{text_bytes // 1000}k.md",
        "html": directory / f"report-v{VERSION}-{text_bytes // 1000}k.html",
    }


def extraction_corpus(directory: Path, pdf_pages: int, text_bytes: int) -> dict[str, Path]:
    """Build (or reuse) the three documents of the extraction benchmark in `directory`.
    No link uses an example.* domain: lychee drops those by default."""
    directory.mkdir(parents=True, exist_ok=True)
    files = extraction_files(directory, pdf_pages, text_bytes)
    if not files["pdf"].exists():
        files["pdf"].write_bytes(big_pdf(pdf_pages))
    if not files["markdown"].exists():
        files["markdown"].write_text(big_markdown(text_bytes), encoding="utf-8")
    if not files["html"].exists():
        files["html"].write_text(big_html(text_bytes), encoding="utf-8")
    return files


if __name__ == "__main__":  # run in its own process, so the benchmark driver stays small
    import sys

    made = extraction_corpus(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
    print({kind: str(path) for kind, path in made.items()})
