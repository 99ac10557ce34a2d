"""Checking "#section" against the page's id and name attributes (HTML only)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from linkcheck.check.page import Page


class FragmentFinding(StrEnum):
    PRESENT = "present"
    MISSING = "missing"
    UNCHECKED = "unchecked"


@dataclass(frozen=True)
class FragmentCheck:
    finding: FragmentFinding
    detail: str | None = None


def fragment_of(url: str) -> str:
    try:
        return urlsplit(url).fragment
    except ValueError:
        return ""


def check_fragment(fragment: str, page: Page | None, complete: bool) -> FragmentCheck:
    """Whether the page has the anchor `fragment` names.

    Not checked: text fragments ("#:~:text=", which name no element), single-page-app routes
    ("#/route", "#!/route", the app reads them), non-HTML pages ("#page=3" in a PDF), and a
    missing anchor on a page cut at the size limit (it may sit further down).
    """
    element = fragment.split(":~:", 1)[0]
    if not element:
        return FragmentCheck(FragmentFinding.UNCHECKED)
    if element.startswith(("/", "!")):
        return FragmentCheck(FragmentFinding.UNCHECKED, "single-page-app route: not checked")
    if page is None or not page.is_html:
        return FragmentCheck(FragmentFinding.UNCHECKED, "not an HTML page: fragment not checked")
    decoded = unquote(element)
    # "#top" always works in browsers; GitHub renders heading ids as "user-content-<id>".
    candidates = {element, decoded, f"user-content-{element}", f"user-content-{decoded}"}
    if decoded.lower() == "top" or candidates & page.anchors:
        return FragmentCheck(FragmentFinding.PRESENT)
    if not complete:
        detail = f"#{element} not in the part of the page read (size limit): not checked"
        return FragmentCheck(FragmentFinding.UNCHECKED, detail)
    detail = f"#{element} not found among the page's id and name attributes"
    return FragmentCheck(FragmentFinding.MISSING, detail)
