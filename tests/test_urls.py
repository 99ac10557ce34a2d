"""Bare URLs in running text: boundaries, punctuation, brackets, wrapping."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkcheck.urls import (
    continues_url,
    find_urls,
    is_checkable,
    normalize_url,
    scheme_of,
    trim_url,
    url_host,
)


def urls(text: str) -> list[str]:
    return [span.url for span in find_urls(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("See https://example.org/report.", ["https://example.org/report"]),
        ("(see https://example.org/a)", ["https://example.org/a"]),
        (
            "https://en.wikipedia.org/wiki/Link_(disambiguation) is long",
            ["https://en.wikipedia.org/wiki/Link_(disambiguation)"],
        ),
        ("[https://example.org/x]", ["https://example.org/x"]),
        (
            "Visit www.example.com, then http://a.example.net/p?q=1&r=2;",
            ["www.example.com", "http://a.example.net/p?q=1&r=2"],
        ),
        ("“https://example.org/quoted”", ["https://example.org/quoted"]),
        (
            "two: https://a.example/x,https://b.example/y",
            ["https://a.example/x,https://b.example/y"],
        ),
        ("no url here: http:// or www. alone", []),
        ("email me@www.example.com", []),
        ("https://example.org/page#section!", ["https://example.org/page#section"]),
    ],
)
def test_find_urls_trims_sentence_punctuation_and_unbalanced_brackets(
    text: str, expected: list[str]
) -> None:
    assert urls(text) == expected


def test_spans_point_at_the_url_in_the_text() -> None:
    text = "Read (https://example.org/a) now"
    [span] = find_urls(text)
    assert text[span.start : span.end] == "https://example.org/a"


def test_normalize_url_lowercases_scheme_and_host_and_drops_default_port() -> None:
    assert (
        normalize_url("HTTPS://Example.ORG:443/Path?Q=1#Frag")
        == "https://example.org/Path?Q=1#Frag"
    )
    assert normalize_url("www.example.com") == "https://www.example.com/"
    assert normalize_url("http://example.com:8080") == "http://example.com:8080/"
    assert normalize_url("mailto:someone@example.org") == "mailto:someone@example.org"


@pytest.mark.parametrize(
    ("url", "next_line", "full", "expected"),
    [
        ("https://example.org/reports/", "2021/annual.pdf", False, "2021/annual.pdf"),
        ("https://example.org/a-long-", "slug-here.html and more prose", False, "slug-here.html"),
        ("https://example.org/path_", "part", False, "part"),
        ("https://example.org/verylongpa", "th/to/file.pdf", True, "th/to/file.pdf"),
        ("https://example.org/verylongpa", "th/to/file.pdf", False, None),
        ("https://example.org/page", "The next sentence starts here.", True, None),
        ("https://example.org/", "is not acceptable.", True, None),
        ("https://example.org/a", "https://example.org/b", True, None),
    ],
)
def test_continues_url(url: str, next_line: str, full: bool, expected: str | None) -> None:
    assert continues_url(url, next_line, full) == expected


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_find_urls_never_crashes_and_never_ends_in_punctuation(text: str) -> None:
    for span in find_urls(text):
        assert span.url
        assert span.url[-1] not in ".,;:!?"
        for closer, opener in ((")", "("), ("]", "[")):
            if span.url.endswith(closer):
                assert span.url.count(opener) >= span.url.count(closer)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_find_urls_in_prose_with_a_url_inside(noise: str) -> None:
    text = f"{noise} https://example.org/x. {noise}"
    assert "https://example.org/x" in [trim_url(span.url) for span in find_urls(text)] or any(
        span.url.startswith("https://example.org/x") for span in find_urls(text)
    )


@pytest.mark.parametrize(
    ("url", "checkable", "host", "problem"),
    [
        ("https://example.org/a", True, "example.org", None),
        ("HTTP://Example.ORG", True, "example.org", None),
        ("http://[::1]:8080/x", True, "::1", None),
        # Malformed hosts are checked, so that the checker reports them broken, not skipped.
        ("http://[x/", True, "", "invalid URL: Invalid IPv6 URL"),
        ("http://user@/p", True, "", "invalid URL: no host"),
        ("http://example.org:port/", True, "", "invalid URL: Port could not be cast to integer"),
        ("http:///p", False, "", "invalid URL: no host"),
        ("ftp://[y/", False, "", "invalid URL: Invalid IPv6 URL"),
        ("mailto:someone@example.org", False, "", "invalid URL: no host"),
    ],
)
def test_which_urls_are_checked_and_which_name_no_host(
    url: str, checkable: bool, host: str, problem: str | None
) -> None:
    assert is_checkable(url) is checkable
    found, why = url_host(url)
    assert found == host
    if problem is None:
        assert why is None
    else:  # (the wording after the prefix is Python's own)
        assert why is not None and why.startswith(problem)


_C0_OR_SPACE = "".join(map(chr, range(0x21)))
URL_TEXT = st.text(
    alphabet=st.sampled_from("hHtTpPsS:/[]@?#.-+1a%x "), min_size=0, max_size=24
) | st.text(max_size=24)


@settings(max_examples=400, deadline=None)
@given(URL_TEXT)
def test_scheme_and_checkability_never_raise_and_agree_with_urlsplit(url: str) -> None:
    # A malformed URL in a document once ended the whole run ("internal error: ValueError").
    checkable, scheme = is_checkable(url), scheme_of(url)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return
    # (urlsplit drops leading blanks and control characters, and tabs and line breaks
    # anywhere; a link has none: extractors end it at a blank)
    if url == url.lstrip(_C0_OR_SPACE) and not any(c in url for c in "\t\r\n"):
        assert scheme == parts.scheme
    if parts.scheme in ("http", "https") and host and url[len(scheme) :].startswith("://"):
        assert checkable


def test_a_url_whose_host_follows_extra_slashes_is_found_as_normalizing_reads_it() -> None:
    # "http:////example.com/x" names example.com once normalized, as a Markdown link's does.
    assert [span.url for span in find_urls("see http:////example.com/x and http://@//b.org/y")] == [
        "http:////example.com/x",
        "http://@//b.org/y",
    ]
