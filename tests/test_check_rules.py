"""The checker's pure rules, without a network."""

from __future__ import annotations

import datetime as dt
import random
import ssl

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkcheck.check import CheckConfig, HostRule
from linkcheck.check.answer import Answer, Fetch
from linkcheck.check.botwall import bot_wall
from linkcheck.check.failures import classify_exception
from linkcheck.check.fragments import FragmentFinding, check_fragment
from linkcheck.check.page import HEAD_WINDOWS, TITLE_MAX, parse_page
from linkcheck.check.redirects import classify_chain, equivalent, is_error_path, is_root_like
from linkcheck.check.retry import backoff, parse_retry_after
from linkcheck.check.safety import host_rule, literal_address
from linkcheck.check.soft404 import (
    _STRONG,
    _WEAK,
    ProbeFinding,
    _may_say_missing,
    compare_with_probe,
    probe_url,
    says_missing,
)
from linkcheck.check.verdicts import precheck
from linkcheck.models import Status

NOW = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def test_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("1") == 1.0
    assert parse_retry_after(" 120 ") == 120.0
    assert parse_retry_after("Wed, 01 Jan 2025 12:00:30 GMT", NOW) == 30.0
    assert parse_retry_after("Wed, 01 Jan 2025 11:00:00 GMT", NOW) == 0.0  # in the past
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    assert parse_retry_after("-5") == 0.0


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    config = CheckConfig(backoff_base=1.0, backoff_max=30.0)
    rng = random.Random(7)
    first, second, third = (backoff(n, config, rng) for n in (1, 2, 3))
    assert 1.0 <= first <= 2.0 and 2.0 <= second <= 3.0 and 4.0 <= third <= 5.0
    assert backoff(50, config, rng) == 30.0


def test_root_like_and_error_paths() -> None:
    assert is_root_like("https://example.org") and is_root_like("https://example.org/")
    assert is_root_like("https://example.org/index.html") and is_root_like("https://x.gob.mx/es/")
    assert not is_root_like("https://example.org/ok")
    assert not is_root_like("https://example.org/?p=123")
    for path in ("/404", "/404.html", "/errors/notfound", "/page-not-found", "/Error.aspx"):
        assert is_error_path("https://example.org" + path), path
    for path in ("/docs/error-handling", "/terror", "/reports/4040"):
        assert not is_error_path("https://example.org" + path), path


def test_equivalent_urls() -> None:
    assert equivalent("http://example.org/a", "https://example.org/a")
    assert equivalent("http://example.org/a", "https://www.example.org/a/")
    assert not equivalent("http://example.org/a", "https://example.org/b")
    assert not equivalent("https://example.org:8443/a", "https://example.org/a")


def test_chain_rules() -> None:
    url = "http://example.org/report"
    assert classify_chain(url, ()).status is Status.OK
    upgrade = classify_chain(url, ((301, "https://example.org/report"),))
    assert (upgrade.status, upgrade.final_url) == (Status.OK, "https://example.org/report")
    moved = classify_chain(url, ((308, "https://example.org/new"),))
    assert (moved.status, moved.final_url) == (Status.REDIRECTED, "https://example.org/new")
    temporary = classify_chain(url, ((302, "https://example.org/new"),))
    assert temporary.status is Status.OK
    root = classify_chain(url, ((301, "https://example.org/"),))
    assert (root.status, root.reason) == (Status.BROKEN, "redirect-to-root")
    root_to_root = classify_chain("http://example.org/", ((301, "https://www.example.org/en/"),))
    assert root_to_root.status is Status.REDIRECTED


def test_soft_404_words() -> None:
    def title(text: str) -> str | None:
        return says_missing(
            parse_page(f"<title>{text}</title>".encode(), "text/html"), "https://x/y"
        )

    for text in (
        "Page not found",
        "404 - Not Found",
        "Error 404",
        "Página no encontrada",
        "Lo sentimos: no se encontró",
        "La página no existe",
        "This page doesn't exist",
        "Seite nicht gefunden",
    ):
        assert title(text) == text, text
    for text in (
        "Annual report 2023",
        "Form 404 instructions for exporters",
        "Why the promised border fund does not exist, and what the ministry plans instead",
    ):
        assert title(text) is None, text
    # A page about errors may be titled like one.
    page = parse_page(b"<title>404 Not Found - HTTP | MDN</title>", "text/html")
    assert says_missing(page, "https://developer.example/docs/Web/HTTP/Status/404") is None


@settings(max_examples=600)
@given(st.one_of(st.from_regex(_STRONG), st.from_regex(_WEAK)))
def test_the_cheap_first_look_never_passes_over_a_missing_page_title(text: str) -> None:
    # A title is searched with the phrase regexes only if it holds one of their words: the
    # first look lets through every text that either regex matches (hypothesis writes texts
    # that hold a match, in any case).
    assert _STRONG.search(text) or _WEAK.search(text)
    assert _may_say_missing(text), text


def test_page_parsing_is_lenient_and_bounded() -> None:
    html = (
        b"<html><head><title>\n  Annual\n report  </title></head><body>"
        b"<svg><title>icon</title></svg><h1 id='top-h'>Findings <b>2023</b></h1>"
        b"<script>var hidden = 1;</script><p>Visible words"
    )
    page = parse_page(html, None)
    assert page.is_html and page.title == "Annual report" and page.h1 == "Findings 2023"
    assert "top-h" in page.anchors and page.has_script
    assert "hidden" not in " ".join(page.tokens) and "Visible" in page.tokens
    long_title = parse_page(b"<title>" + b"word " * 200 + b"</title>", "text/html").title
    assert long_title is not None and len(long_title) == TITLE_MAX


@given(st.binary(max_size=2000), st.sampled_from([None, "text/html", "text/html; charset=bogus"]))
def test_page_parsing_never_raises(body: bytes, content_type: str | None) -> None:
    page = parse_page(body, content_type)
    assert page.title is None or len(page.title) <= TITLE_MAX


def test_fragment_rules() -> None:
    page = parse_page(b"<h2 id='a%20b'>x</h2><h2 id='user-content-intro'>", "text/html")
    assert check_fragment("user-content-intro", page, True).finding is FragmentFinding.PRESENT
    assert check_fragment("intro", page, True).finding is FragmentFinding.PRESENT  # GitHub style
    assert check_fragment("top", page, True).finding is FragmentFinding.PRESENT
    assert check_fragment("nope", page, True).finding is FragmentFinding.MISSING
    assert check_fragment("nope", page, False).finding is FragmentFinding.UNCHECKED  # cut short
    assert check_fragment(":~:text=x", page, True).finding is FragmentFinding.UNCHECKED
    assert check_fragment("!/app", page, True).finding is FragmentFinding.UNCHECKED


def test_bot_wall_fingerprints() -> None:
    def wall(status: int, body: bytes = b"", **headers: str) -> str | None:
        return bot_wall(
            status, httpx.Headers({k.replace("_", "-"): v for k, v in headers.items()}), body
        )

    assert wall(403, cf_mitigated="challenge") is not None
    assert wall(503, b"<title>Just a moment...</title>", server="cloudflare") is not None
    assert wall(403, b"Access Denied. Reference #18.abc", server="AkamaiGHost") is not None
    assert wall(403, b"<script src='//geo.captcha-delivery.com/x.js'>") is not None
    assert wall(403, b"Request unsuccessful. Incapsula incident ID: 1") is not None
    assert wall(403, b"Forbidden") is None  # a plain 403 is no bot wall
    assert wall(403, b"Access denied") is None  # nor is "access denied" without a vendor
    assert wall(200, b"we use a captcha on our forms") is None  # a live page may say captcha


def test_probe_comparison_and_app_shells() -> None:
    def fetch(url: str, body: bytes, status: int = 200) -> Fetch:
        answer = Answer(url, status, httpx.Headers({"content-type": "text/html"}), body)
        return Fetch(url, answer=answer, page=parse_page(body, "text/html"), attempts=1)

    text = b"<title>Home</title><p>" + b"many words of the home page " * 10 + b"</p>"
    probe = fetch("https://x.org/abcdefghijklmnopqrstuvwxy", text)
    assert compare_with_probe(fetch("https://x.org/a", text), probe).finding is ProbeFinding.SAME
    other = b"<title>Report</title><p>" + b"a real report with numbers " * 10 + b"</p>"
    assert compare_with_probe(fetch("https://x.org/a", other), probe).finding is (
        ProbeFinding.DIFFERENT
    )
    honest = fetch("https://x.org/zzz", b"<title>Not found</title>", status=404)
    assert compare_with_probe(fetch("https://x.org/a", text), honest).finding is (
        ProbeFinding.HONEST
    )
    shell = b"<title>App</title><div id='root'></div><script src='/app.js'></script>"
    shell_probe = fetch("https://x.org/qqq", shell)
    assert compare_with_probe(fetch("https://x.org/a", shell), shell_probe).finding is (
        ProbeFinding.APP_SHELL
    )
    probe_name = probe_url("https://x.org/deep/page?q=1", random.Random(1))
    assert probe_name.startswith("https://x.org/") and len(probe_name) == len("https://x.org/") + 25


def test_address_rules() -> None:
    config = CheckConfig()
    assert host_rule("169.254.169.254", config) is not None
    assert host_rule("[fd00:ec2::254]", config) is not None
    assert host_rule("metadata.google.internal", config) is not None
    assert host_rule("127.0.0.1", config) is None
    assert host_rule("10.0.0.1", config) is None
    assert host_rule("169.254.169.254", CheckConfig(allow_link_local=True)) is None
    excluded = host_rule("192.168.1.1", CheckConfig(exclude_private=True))
    assert excluded is not None and excluded[0] == "excluded"
    assert literal_address("example.org") is None


def test_prechecks() -> None:
    config = CheckConfig(exclude=(r"example\.org",), include=(r"example\.org/keep",))
    assert precheck("https://example.org/drop", config) is not None
    assert precheck("https://example.org/keep/this", config) is None
    invalid = precheck("http://example.org:notaport/", config)
    assert invalid is not None and (invalid.status, invalid.reason) == (Status.BROKEN, "error")
    assert CheckConfig(host_rules=(HostRule("*.gov.example"),)).rule_for("www.gov.example")


def test_exception_classification_is_actionable() -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "self-signed certificate"
    wrapped = httpx.ConnectError("handshake failed")
    wrapped.__cause__ = error
    failure = classify_exception(wrapped, "https://example.org/", 20.0)
    assert (failure.reason, failure.retryable) == ("tls", False)
    assert failure.detail == "certificate verify failed: self-signed certificate"
    reset = classify_exception(httpx.RemoteProtocolError("peer closed"), "https://x.org/", 20.0)
    assert (reset.reason, reset.retryable) == ("connection-reset", True)
    timeout = classify_exception(httpx.ReadTimeout("slow"), "https://x.org/", 20.0)
    assert (timeout.reason, timeout.retryable, timeout.status) == (
        "timeout",
        True,
        Status.UNREACHABLE,
    )
    unknown = classify_exception(RuntimeError("boom"), None, 20.0)
    assert (unknown.reason, unknown.retryable) == ("error", False)


def test_bad_patterns_fail_at_construction() -> None:
    with pytest.raises(Exception):  # noqa: B017 - re.error, whatever the Python version
        CheckConfig(exclude=("(",))


def test_parse_page_reads_title_heading_anchors_and_visible_text_leniently() -> None:
    from linkcheck.check.page import parse_page

    body = (
        b"<!doctype html><html><head><title> Annual &amp; Report </title>"
        b"<script>var x = '<h1>not a heading</h1> hidden words';</script></head>"
        b"<body><!-- <h1>commented out</h1> -->"
        b"<h1 class=x>Overdose <em>deaths</em></h1>"
        b"<p id='intro' data-id=no>Visible words here.</p><a name=\"sec-2\"></a>"
        b"<div ID=Upper>cut off mid-tag <span"
    )
    page = parse_page(body, "text/html; charset=utf-8")
    assert page.title == "Annual & Report"
    assert page.h1 == "Overdose deaths"
    assert page.anchors == frozenset({"intro", "sec-2", "Upper"})
    assert "Visible" in page.tokens and "hidden" not in page.tokens
    assert "commented" not in page.tokens
    assert page.has_script


# --- a long page read only as far as its title and <h1> -------------------------------------

_FILLER = "<p>" + "Regional trade figures by border state and year. " * 40 + "</p>\n"


def _long_page(head: str, tail: str = "", before: int = 60, after: int = 0) -> bytes:
    return (head + _FILLER * before + tail + _FILLER * after + "</body></html>").encode()


_HEADS = {
    "early": _long_page("<html><head><title>Annual report</title></head><body><h1>Trade 2024</h1>"),
    "script-late": _long_page(
        "<html><head><title>T</title></head><body><h1>H</h1>", "<script>track()</script>"
    ),
    "script-in-late-comment": _long_page(
        "<title>T</title><h1>H</h1>", "<!-- <script>old()</script> -->"
    ),
    "h1-after-window": _long_page("<title>T</title><body>", "<h1>Found late</h1>"),
    "h1-cut-by-window": _long_page(
        "<title>T</title><body>" + "x" * (HEAD_WINDOWS[-1] - 40) + "<h1>Starts " + "y" * 60,
        "ends</h1>",
    ),
    "comment-across-window": _long_page(
        "<title>T</title><body><!-- " + "note " * 8000, "--><h1>After the comment</h1>", 1, 30
    ),
    "script-across-window": _long_page(
        "<title>T</title><body><script>" + "var x = 1; " * 4000, "</script><h1>After</h1>", 1, 30
    ),
    "no-title": _long_page("<html><body><h1>Only a heading</h1>", "<svg><title>Icon</title></svg>"),
    "h1-in-script": _long_page("<title>T</title><script>'<h1>fake</h1>'</script><h1>Real</h1>"),
    "tag-cut-at-the-edge": (
        "<title>T</title><h1>H</h1>" + "x" * (HEAD_WINDOWS[0] - 33) + "<scripted-widget>"
    ).encode()
    + _long_page(""),
}


@pytest.mark.parametrize("name", sorted(_HEADS))
def test_reading_only_the_head_of_a_long_page_changes_nothing(name: str) -> None:
    body = _HEADS[name]
    assert len(body) > HEAD_WINDOWS[-1]
    for content_type in (
        "text/html; charset=utf-8",
        "text/html; charset=utf-16",
        "text/html; charset=utf-7",
        None,
    ):
        charset = (content_type or "").partition("charset=")[2]
        encoded = body.decode().encode(charset) if charset in ("utf-16", "utf-7") else body
        quick = parse_page(encoded, content_type, anchors=False, tokens=False)
        whole = parse_page(encoded, content_type, anchors=True, tokens=False)
        assert (quick.title, quick.h1, quick.has_script, quick.charset) == (
            whole.title,
            whole.h1,
            whole.has_script,
            whole.charset,
        ), (name, content_type)


def test_the_head_of_a_long_page_gives_its_title_and_heading() -> None:
    late = parse_page(_HEADS["h1-after-window"], "text/html", anchors=False, tokens=False)
    assert (late.title, late.h1) == ("T", "Found late")
    assert parse_page(_HEADS["script-late"], "text/html", anchors=False, tokens=False).has_script
    commented = parse_page(_HEADS["script-in-late-comment"], None, anchors=False, tokens=False)
    assert not commented.has_script
    edge = _HEADS["tag-cut-at-the-edge"]
    assert edge.index(b"<scripted") + len(b"<script") == HEAD_WINDOWS[0]
    assert not parse_page(edge, "text/html", anchors=False, tokens=False).has_script
    # UTF-7 writes "<" as "+ADw-": a script with no "<script" bytes at all.
    utf7 = _long_page("<title>T</title><h1>H</h1>", "+ADw-script+AD4-x()+ADw-/script+AD4-")
    utf7_page = parse_page(utf7, "text/html; charset=utf-7", anchors=False, tokens=False)
    assert utf7_page.has_script
    real = parse_page(_HEADS["h1-in-script"], "text/html", anchors=False, tokens=False)
    assert real.h1 == "Real"
    cut = parse_page(_HEADS["h1-cut-by-window"], "text/html", anchors=False, tokens=False)
    assert cut.h1 is not None and cut.h1.startswith("Starts y") and "Regional" in cut.h1
