"""The main text of a fetched page: what the page itself says, without its chrome.

HTML is read with beautifulsoup4: scripts, navigation, headers, footers, asides, forms, menus
and elements whose class, id or role says nav/menu/footer/cookie/banner/sidebar/share/related/
comments are dropped, and <main> or <article> is preferred when it holds most of the text, so a
figure quoted in a site menu or a "related stories" box never counts as support. PDFs are read
with pypdf when it is installed; text/plain is taken as is. trafilatura, a stronger extractor,
is used only when asked for and importable.
"""

from __future__ import annotations

import codecs
import importlib
import re
import warnings
from io import BytesIO
from typing import Any, Literal

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, Tag

MAX_BODY = 8 * 1024 * 1024  # bytes read; bounds parsing time on huge pages
MAX_PDF_PAGES = 500
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})
_PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})
_SNIFFED = frozenset({None, "application/octet-stream", "binary/octet-stream"})
_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I | re.S
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

# Never content: their text is code, controls or chrome.
_NON_CONTENT = frozenset(
    """script style noscript template svg math iframe object embed canvas button select option
    input textarea dialog""".split()
)
# Page chrome by element name; <header> is kept inside an article (it holds its title).
_CHROME = frozenset({"nav", "aside", "footer", "menu", "form", "header"})
_CHROME_ROLES = frozenset(
    "navigation banner contentinfo complementary search menu menubar dialog alertdialog".split()
)
_CHROME_WORDS = re.compile(
    r"^(?:nav|navs|navbar|navigation|subnav|topnav|menu|menus|menubar|submenu|megamenu|footer"
    r"|cookie|cookies|consent|gdpr|banner|sidebar|share|sharing|sharebar|social|related"
    r"|comment|comments|breadcrumb|breadcrumbs|newsletter|subscribe|promo|advert|advertisement"
    r"|ads|popup|modal|skip)$"
)
_BLOCKS = frozenset(
    """p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd table tr thead tbody tfoot
    blockquote pre figure figcaption address caption details summary hr br header center""".split()
)
_CELLS = frozenset({"td", "th"})
_BREAK = "\ue000"  # a private-use character marks block boundaries while text is gathered


def page_text(
    body: bytes,
    content_type: str | None,
    charset: str | None,
    *,
    extractor: Literal["bs4", "trafilatura"] = "bs4",
    enough: int | None = None,
) -> str | None:
    """The main text of a page, or None for a type that has none or bytes that are no text.

    HTML paragraphs are separated by blank lines. Never raises. `enough`: a caller that keeps
    only that many characters; a PDF's pages are then read only until there are as many (the
    text may run longer, its first `enough` characters are the same).
    """
    try:
        return _page_text(body[:MAX_BODY], content_type, charset, extractor, enough)
    except Exception:  # junk in, nothing out: a page that cannot be read supports nothing
        return None


def _page_text(
    body: bytes, content_type: str | None, charset: str | None, extractor: str, enough: int | None
) -> str | None:
    kind = _media_type(content_type)
    if kind in _PDF_TYPES or (kind in _SNIFFED and body.startswith(b"%PDF-")):
        return _pdf_text(body, enough)
    is_html = kind in _HTML_TYPES or (kind in _SNIFFED and bool(_HTML_START.match(body[:1024])))
    if not is_html and kind not in _TEXT_TYPES and kind not in _SNIFFED:
        return None
    text = _decode(body, charset, sniff_meta=is_html)
    if text is None:
        return None
    if not is_html:
        return text.replace("\r\n", "\n").replace("\r", "\n")
    if extractor == "trafilatura":
        extracted = _trafilatura_text(text)
        if extracted is not None:
            return extracted
    return html_text(text)


def _media_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def _decode(body: bytes, charset: str | None, *, sniff_meta: bool) -> str | None:
    """Decode with the declared charset, a BOM, <meta>, then UTF-8 and Windows-1252."""
    names: list[str] = []
    for bom, name in _BOMS:
        if body.startswith(bom):
            names.append(name)
    if charset:
        names.append(charset.strip().strip("\"'"))
    if sniff_meta and (meta := _META_CHARSET.search(body[:4096])):
        names.append(meta.group(1).decode("ascii", "replace"))
    names += ["utf-8", "cp1252"]
    for name in names:
        try:
            text = body.decode(name)
        except (LookupError, UnicodeDecodeError, ValueError):
            continue
        return text if _is_text(text) else None
    text = body.decode("utf-8", "replace")
    return text if _is_text(text) else None


# Unicode's control characters (category Cc: U+0000-U+001F, U+007F-U+009F) but tab, line
# feed, form feed and carriage return; and the replacement mark of a failed decoding.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")


def _is_text(text: str) -> bool:
    """Few control characters and replacement marks: not a binary file decoded by force."""
    if not text:
        return True
    sample = text[:65536]
    return len(_NOT_TEXT.findall(sample)) <= 0.02 * len(sample)


def html_text(html: str) -> str:
    """The main text of an HTML document, paragraphs separated by blank lines."""
    soup = _parse(html)
    for tag in soup.find_all(_NON_CONTENT):
        tag.decompose()
    body = soup.body if isinstance(soup.body, Tag) else soup
    total = len(body.get_text(" ", strip=True))
    root = _main_root(body, total)
    _drop_chrome(root, len(root.get_text(" ", strip=True)))
    return _block_text(root)


def _parse(html: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        try:
            return BeautifulSoup(html, "html.parser")
        except Exception:  # html.parser rejects some malformed declarations
            return BeautifulSoup(html.replace("<!", "&lt;!"), "html.parser")


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def _main_root(body: Tag | BeautifulSoup, total: int) -> Tag | BeautifulSoup:
    """<main>, role=main or the largest <article>, when it holds a good share of the text."""
    candidates = [tag for tag in body.find_all(["main", "article"]) if isinstance(tag, Tag)]
    candidates += [
        tag for tag in body.find_all(True, attrs={"role": "main"}) if isinstance(tag, Tag)
    ]
    best: Tag | None = None
    best_length = 0
    for tag in candidates:
        length = len(tag.get_text(" ", strip=True))
        if length > best_length:
            best, best_length = tag, length
    # A <main> holding only a headline is not the page: keep the body then.
    if best is not None and best_length >= 0.25 * total:
        return best
    return body


def _is_chrome(tag: Tag) -> bool:
    name = tag.name
    if name in _CHROME:
        return not (name == "header" and tag.find_parent(["article", "main"]) is not None)
    if not tag.attrs:  # most tags of a page: nothing below can apply
        return False
    if _attr(tag, "role").lower() in _CHROME_ROLES:
        return True
    if tag.has_attr("hidden") or _attr(tag, "aria-hidden").lower() == "true":
        return True
    if re.search(r"display\s*:\s*none", _attr(tag, "style"), re.I):
        return True
    names = f"{_attr(tag, 'class')} {_attr(tag, 'id')}"
    names = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", names).lower()
    return any(_CHROME_WORDS.match(word) for word in re.split(r"[\s_\-]+", names) if word)


def _drop_chrome(root: Tag | BeautifulSoup, total: int) -> None:
    for tag in list(root.find_all(True)):
        if not isinstance(tag, Tag) or tag.decomposed or tag.name in ("html", "body", "main"):
            continue
        if not _is_chrome(tag):
            continue
        # A wrapper named "with-sidebar" or an ASP.NET <form> around the whole page is not
        # chrome: keep an element that holds the main content or most of the text.
        if tag.find(["main", "article", "h1"]) is not None:
            continue
        if (
            tag.name not in ("nav", "aside", "footer", "menu")
            and total > 200
            and len(tag.get_text(" ", strip=True)) > 0.4 * total
        ):
            continue
        tag.decompose()


def _block_text(root: Tag | BeautifulSoup) -> str:
    """Text with a paragraph break at every block boundary, inline runs joined as written."""
    parts: list[str] = []
    stack: list[Any] = list(reversed(list(root.children)))
    while stack:
        node = stack.pop()
        if isinstance(node, str) and not isinstance(node, NavigableString):
            parts.append(node)  # a marker pushed below
        elif type(node) is NavigableString:
            parts.append(str(node))
        elif isinstance(node, Tag):
            if node.name in _BLOCKS:
                marker = _BREAK
            elif node.name in _CELLS:
                marker = " "
            else:
                marker = ""
            if marker:
                parts.append(marker)
                stack.append(marker)
            stack.extend(reversed(list(node.children)))
    paragraphs = (" ".join(chunk.split()) for chunk in "".join(parts).split(_BREAK))
    return "\n\n".join(paragraph for paragraph in paragraphs if paragraph)


def _pdf_text(body: bytes, enough: int | None = None) -> str | None:
    try:
        import pypdf
    except ImportError:
        return None
    try:
        reader = pypdf.PdfReader(BytesIO(body))
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            return None
        pages: list[str] = []
        length = 0  # of the text so far, page breaks included
        for number, page in enumerate(reader.pages):
            if number >= MAX_PDF_PAGES or (enough is not None and length >= enough):
                break
            try:
                raw = page.extract_text() or ""
            except Exception:  # one damaged page does not lose the others
                continue
            # Lines broken at a hyphen join up again; page breaks become paragraph breaks.
            length += 2 if pages else 0
            pages.append(re.sub(r"(?<=\w)-\n(?=\w)", "-", raw.strip()).replace("\x00", ""))
            length += len(pages[-1])
    except Exception:  # pypdf raises many kinds of errors on damaged files
        return None
    return "\n\n".join(pages)


def _trafilatura_text(html: str) -> str | None:
    try:
        trafilatura: Any = importlib.import_module("trafilatura")
        text = trafilatura.extract(html, include_comments=False, include_tables=True)
    except Exception:  # absent or failing: the bs4 path is the default anyway
        return None
    return text if isinstance(text, str) and text.strip() else None
