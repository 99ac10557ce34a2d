"""What the archive stage writes: WARC files (read back with warcio), Robust Links copies of
HTML and Markdown (parsed back), and snapshot tables."""

from __future__ import annotations

import datetime as dt
import gzip
import re
from pathlib import Path

from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

from linkcheck.archive import (
    SnapshotRow,
    WarcRecorder,
    robustify_html,
    robustify_markdown,
    rows_from_links,
    snapshot_table_html,
    snapshot_table_markdown,
)
from linkcheck.models import (
    Claim,
    ClaimMatch,
    Link,
    Location,
    MatchMethod,
    Occurrence,
    OccurrenceKind,
    Snapshot,
)

A = "https://example.org/report?year=2022&lang=en"
B = "https://gov.example/data"
SNAP_A = Snapshot(url=f"https://web.archive.org/web/20220601123000/{A}", timestamp="20220601123000")
SNAP_B = Snapshot(url=f"https://web.archive.org/web/20210102030405/{B}", timestamp="20210102030405")
SNAPSHOTS = {A: SNAP_A, B: SNAP_B, "https://nowhere.example/": None}


def test_warc_records_read_back(tmp_path: Path) -> None:
    path = tmp_path / "fetches.warc.gz"
    with WarcRecorder(path) as recorder:
        recorder.record(
            "GET",
            "https://example.org/page?x=1",
            {"User-Agent": "linkcheck", "Authorization": "LOW secret:key", "Cookie": "a=b"},
            200,
            [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", "9")],
            b"<html>hello</html>",
            "HTTP/1.1",
        )
        recorder.record("GET", "https://example.org/gone", {}, 404, {}, b"missing", "HTTP/2")
    assert recorder.count == 2

    with path.open("rb") as stream:
        records = [
            (
                record.rec_type,
                record.rec_headers.get_header("WARC-Target-URI"),
                record.rec_headers.get_header("WARC-Record-ID"),
                record.rec_headers.get_header("WARC-Concurrent-To"),
                record.rec_headers.get_header("WARC-Date"),
                record.rec_headers.get_header("WARC-Payload-Digest"),
                record.http_headers,
                record.content_stream().read(),
                record.rec_headers.protocol,
            )
            for record in ArchiveIterator(stream)
        ]
    assert [(r[0], r[1]) for r in records] == [
        ("response", "https://example.org/page?x=1"),
        ("request", "https://example.org/page?x=1"),
        ("response", "https://example.org/gone"),
        ("request", "https://example.org/gone"),
    ]
    response, request = records[0], records[1]
    assert request[3] == response[2]  # WARC-Concurrent-To links the request to its response
    assert request[4] == response[4]  # one WARC-Date for both
    assert response[8] == "WARC/1.1"
    assert response[5] and response[5].startswith("sha1:")
    assert response[6].get_statuscode() == "200"
    assert response[6].get_header("Content-Type") == "text/html"
    assert response[6].get_header("Content-Encoding") is None  # the body is stored decoded
    assert response[6].get_header("Content-Length") == str(len(b"<html>hello</html>"))
    assert response[7] == b"<html>hello</html>"
    assert request[6].protocol == "GET" and request[6].statusline.startswith("/page?x=1 ")
    assert request[6].get_header("Host") == "example.org"
    assert request[6].get_header("User-Agent") == "linkcheck"
    assert (
        request[6].get_header("Authorization") is None and request[6].get_header("Cookie") is None
    )
    assert records[2][6].get_statuscode() == "404" and records[2][7] == b"missing"
    # Each record is its own gzip member, so the file can be appended to.
    raw = path.read_bytes()
    assert raw.count(b"\x1f\x8b\x08") >= 4
    assert b"secret:key" not in gzip.decompress(raw)


def test_warc_appends_across_recorders(tmp_path: Path) -> None:
    path = tmp_path / "w.warc.gz"
    for n in range(2):
        with WarcRecorder(path) as recorder:
            recorder.record("GET", f"https://a.org/{n}", {}, 200, {}, b"x", "HTTP/1.1")
    with path.open("rb") as stream:
        uris = [r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(stream)]
    assert uris == ["https://a.org/0", "https://a.org/0", "https://a.org/1", "https://a.org/1"]


HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Brief &amp; notes</title></head>
<body>
<p>See the <a href="https://example.org/report?year=2022&amp;lang=en" class='ref'>report</a>,
the <A HREF=https://gov.example/data>data</A> and <a href="https://nowhere.example/">x</a>.</p>
<p>Already robust: <a href="https://gov.example/data" data-versionurl="https://perma.cc/X">y</a>
<a href="/relative">rel</a> <br> &nbsp; <img src="a.png"/></p>
</body></html>
"""


def test_robust_html_adds_the_attributes_and_keeps_the_rest() -> None:
    out = robustify_html(HTML, SNAPSHOTS, dt.date(2023, 3, 15))
    soup = BeautifulSoup(out, "html.parser")
    anchors = soup.find_all("a")
    first, second, third, fourth, fifth = anchors
    assert first["data-originalurl"] == A
    assert first["data-versionurl"] == f"{SNAP_A.url} 2022-06-01T12:30:00Z"
    assert first["data-versiondate"] == "2023-03-15"
    assert first["href"] == A and first["class"] == ["ref"] and first.text == "report"
    assert second["data-originalurl"] == B
    assert second["data-versionurl"] == f"{SNAP_B.url} 2021-01-02T03:04:05Z"
    assert not third.has_attr("data-versionurl")  # no snapshot
    assert fourth["data-versionurl"] == "https://perma.cc/X"  # left alone
    assert not fourth.has_attr("data-originalurl")
    assert not fifth.has_attr("data-versionurl")
    # Nothing else changed: removing the added attributes gives the input back byte for byte.
    added = r' data-(?:originalurl="[^"]*"|versiondate="[^"]*"|versionurl="https://web[^"]*")'
    stripped = re.sub(added, "", out)
    assert stripped == HTML


def test_robust_html_resolves_relative_links_with_a_base() -> None:
    html = '<a href="/data">d</a>'
    out = robustify_html(html, {B: SNAP_B}, None, base_url="https://gov.example/index.html")
    anchor = BeautifulSoup(out, "html.parser").a
    assert anchor is not None
    assert anchor["data-originalurl"] == B and anchor["href"] == "/data"
    assert anchor["data-versiondate"] == "2021-01-02"  # no citing date: the capture's


MARKDOWN = f"""# Brief

Exports grew [as reported]({A} "Report") in 2022; data at <{B}>.
A bare mention: {B}. And ![chart]({A}) is an image.

Reference style: [the report][rep] and [nothing](https://nowhere.example/).

    indented code {B}

```
fenced {B}
```

Inline code `{B}` and <a href="{B}">raw html</a>.

[rep]: {A}
"""


def test_robust_markdown_appends_visible_archive_links() -> None:
    out = robustify_markdown(MARKDOWN, SNAPSHOTS, dt.date(2023, 3, 15))
    archived_a = f"[archived 2022-06-01](<{SNAP_A.url}>)"
    archived_b = f"[archived 2021-01-02](<{SNAP_B.url}>)"
    assert f'[as reported]({A} "Report") {archived_a} in 2022' in out
    assert f"<{B}> {archived_b}." in out
    assert f"bare mention: {B} {archived_b}." in out
    assert f"![chart]({A}) is" in out  # images untouched
    assert f"[the report][rep] {archived_a} and" in out
    assert "[nothing](https://nowhere.example/).\n" in out  # no snapshot, nothing added
    assert f"    indented code {B}\n" in out
    assert f"fenced {B}\n" in out
    assert f"`{B}` and" in out and f'<a href="{B}">raw html</a>' in out
    assert f"[rep]: {A}\n" in out  # the definition is intact
    assert out.count("[archived ") == 4
    # Still valid Markdown: each archived link renders as a link to the snapshot.
    html = MarkdownIt("commonmark").render(out)
    soup = BeautifulSoup(html, "html.parser")
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert hrefs.count(SNAP_A.url) == 2
    assert hrefs.count(SNAP_B.url) == 2
    assert hrefs.count(A) == 2  # the original links are still there
    # Running it again adds nothing.
    assert robustify_markdown(out, SNAPSHOTS, None) == out


def test_snapshot_tables_escape_and_link() -> None:
    rows = [
        SnapshotRow("Exports | rose <fast> *5%* in 2022.", A, SNAP_A, dt.date(2023, 3, 15)),
        SnapshotRow(None, "https://nowhere.example/", None),
    ]
    markdown = snapshot_table_markdown(rows)
    lines = markdown.strip().splitlines()
    assert lines[0] == "| Claim | Link | Archived copy | Captured |"
    assert len(lines) == 4
    assert "Exports \\| rose \\<fast\\> \\*5%\\* in 2022." in lines[2]
    assert f"[archived 2022-06-01](<{SNAP_A.url}>)" in lines[2]
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    cells = BeautifulSoup(rendered, "html.parser").find_all("td")
    assert cells[0].text == "Exports | rose <fast> *5%* in 2022."
    assert len(cells) == 8

    html = snapshot_table_html(rows)
    soup = BeautifulSoup(html, "html.parser")
    tds = soup.select("tbody tr")[0].select("td")
    assert tds[0].text == "Exports | rose <fast> *5%* in 2022."
    link, copy = tds[1].select("a")[0], tds[2].select("a")[0]
    assert link["href"] == A and link["data-versionurl"] == f"{SNAP_A.url} 2022-06-01T12:30:00Z"
    assert link["data-versiondate"] == "2023-03-15"
    assert copy["href"] == SNAP_A.url and tds[3].text == "2022-06-01T12:30:00Z"
    assert "<fast>" not in html


def test_rows_from_links() -> None:
    location = Location("brief.pdf", 1, 3, 1)
    claim = Claim("brief.pdf#1", "Exports rose.", location)
    link = Link(
        A,
        (
            Occurrence(
                location,
                OccurrenceKind.ANNOTATION,
                "report",
                ClaimMatch(claim, 0.9, MatchMethod.ANCHOR),
            ),
        ),
        archive=SNAP_A,
    )
    orphan = Link(B, (Occurrence(location, OccurrenceKind.BARE, None, None),))
    rows = rows_from_links([link, orphan], dt.date(2023, 1, 1))
    assert rows == [
        SnapshotRow("Exports rose.", A, SNAP_A, dt.date(2023, 1, 1)),
        SnapshotRow(None, B, None, dt.date(2023, 1, 1)),
    ]


def test_robust_html_handles_unquoted_values_self_closing_tags_and_crlf() -> None:
    root = "https://a.org/"
    snap = Snapshot(
        url=f"https://web.archive.org/web/20200101000000/{root}", timestamp="20200101000000"
    )
    html = f'<p>\r\n<a href={root}>one</a>\r\n<a\r\n title="x>y" href="{root}"/>two</a></p>'
    out = robustify_html(html, {root: snap}, dt.date(2020, 2, 2))
    anchors = BeautifulSoup(out, "html.parser").find_all("a")
    assert [a["href"] for a in anchors] == [root, root]
    assert all(a["data-originalurl"] == root for a in anchors)
    assert anchors[1]["title"] == "x>y"
    assert out.count("\r\n") == html.count("\r\n")
    assert out.endswith(' data-versiondate="2020-02-02"/>two</a></p>')
