"""Sharding: a stable partition of URLs, and merging the shards' JSON reports."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import os
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest

from linkcheck.models import (
    Claim,
    ClaimMatch,
    Document,
    Format,
    InputProblem,
    Link,
    Location,
    MatchMethod,
    Occurrence,
    OccurrenceKind,
    Report,
    Snapshot,
    Status,
    Support,
    SupportVerdict,
    Verdict,
)
from linkcheck.report.json import report_to_dict
from linkcheck.shard import in_shard, merge_reports, parse_shard, shard_of

# --- parse_shard ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2/4", (2, 4)), ("1/1", (1, 1)), (" 3 / 3 ", (3, 3)), ("10/12", (10, 12))],
)
def test_parse_shard(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0/4", "K must be between 1 and N (4)"),
        ("5/4", "K must be between 1 and N (4)"),
        ("1/0", "N must be at least 1"),
        ("2", "use K/N"),
        ("a/b", "use K/N"),
        ("-1/4", "use K/N"),
        ("2/4/6", "use K/N"),
        ("", "use K/N"),
    ],
)
def test_parse_shard_refuses_bad_forms_in_one_line(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_shard(text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{text!r} is not a shard: ") and problem in message


# --- the partition --------------------------------------------------------------------------

URLS = [f"https://site{i % 5}.example.org/page/{i}?ref={i * 7}" for i in range(3000)]


def test_every_url_is_in_exactly_one_shard() -> None:
    for n in (1, 2, 3, 7):
        for url in URLS[:300]:
            assert sum(in_shard(url, k, n) for k in range(1, n + 1)) == 1


def test_the_partition_is_balanced() -> None:
    counts = Counter(shard_of(url, 4) for url in URLS)
    assert set(counts) == {1, 2, 3, 4}
    assert all(600 <= count <= 900 for count in counts.values())  # 750 expected


def test_the_partition_is_sha256_of_the_normalised_url_without_fragment() -> None:
    # Pinned: a change here would split one run's shards differently across versions.
    digest = hashlib.sha256(b"https://example.org/").digest()
    assert shard_of("https://example.org/", 4) == int.from_bytes(digest[:8], "big") % 4 + 1 == 4
    assert shard_of("https://www.un.org/en/", 4) == 1
    # The same page in any spelling, with any fragment, goes to the same shard.
    for n in (3, 5, 11):
        spellings = {
            shard_of(url, n)
            for url in (
                "https://example.org/a",
                "HTTPS://Example.ORG:443/a",
                "https://example.org/a#s2",
            )
        }
        assert len(spellings) == 1


def test_the_partition_does_not_depend_on_the_process() -> None:
    code = f"from linkcheck.shard import shard_of\nprint([shard_of(u, 7) for u in {URLS[:50]!r}])\n"
    results = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        results.add(done.stdout)
    assert results == {f"{[shard_of(u, 7) for u in URLS[:50]]}\n"}


def test_in_shard_refuses_a_shard_that_does_not_exist() -> None:
    with pytest.raises(ValueError):
        in_shard("https://example.org/", 4, 3)
    with pytest.raises(ValueError):
        shard_of("https://example.org/", 0)


# --- merging ----------------------------------------------------------------------------------

DOC_A, DOC_B = "briefs/a.md", "briefs/b.pdf"
FULL_TIME = dt.datetime(2024, 3, 1, 12, 0, 5, tzinfo=dt.UTC)
STATUSES = [
    Verdict(Status.OK, http_status=200, attempts=1, elapsed=0.25, title="A page"),
    Verdict(Status.BROKEN, reason="http-404", http_status=404, attempts=1),
    Verdict(
        Status.REDIRECTED,
        reason="redirected",
        http_status=301,
        final_url="https://moved.example/",
        redirects=("https://moved.example/",),
        attempts=2,
    ),
    Verdict(Status.UNREACHABLE, reason="dns", attempts=4, detail="name does not resolve"),
    Verdict(Status.BLOCKED, reason="bot-challenge", http_status=403, attempts=1),
    Verdict(Status.SKIPPED, reason="excluded"),
]


def _claim(document: str, n: int) -> Claim:
    return Claim(f"{document}#{n}", f"Claim {n} of {document}.", Location(document, 1, n, 1))


CLAIMS = tuple(_claim(doc, n) for doc in (DOC_A, DOC_B) for n in range(1, 9))


def _occurrences(i: int, checked: bool) -> tuple[Occurrence, ...]:
    """Link i is cited once in A; every third link also twice in B, for different claims."""
    support = (
        Support(SupportVerdict.SUPPORTED, score=0.8, passage="quoted", source="live")
        if checked and i % 2 == 0
        else None
    )
    places = [(DOC_A, i % 8 + 1, None if i % 4 == 0 else 0.9)]
    if i % 3 == 0:
        places += [(DOC_B, i % 8 + 1, 0.3), (DOC_B, (i + 1) % 8 + 1, 0.7)]
    occurrences = []
    for document, n, confidence in places:
        claim = None
        if confidence is not None:
            claim = ClaimMatch(_claim(document, n), confidence, MatchMethod.ANCHOR)
        occurrences.append(
            Occurrence(
                Location(document, 1, 100 + i, 5),
                OccurrenceKind.INLINE,
                f"anchor {i}",
                claim,
                support=support,
            )
        )
    return tuple(occurrences)


def _link(i: int, checked: bool) -> Link:
    url = f"https://host{i % 4}.example.org/doc/{i}"
    if not checked:
        return Link(url, _occurrences(i, checked=False))
    archive = (
        Snapshot(f"https://web.archive.org/web/20230101000000/{url}", "20230101000000", 200)
        if i % 5 == 0
        else None
    )
    return Link(url, _occurrences(i, checked=True), STATUSES[i % len(STATUSES)], archive)


def _report(check: Any, generated_at: dt.datetime) -> dict[str, Any]:
    """A run over 20 links, checking those `check(url)` accepts (the others stay unchecked)."""
    links = []
    for i in range(20):
        url = _link(i, checked=False).url
        links.append(_link(i, checked=check(url)))
    report = Report(
        documents=(
            Document(DOC_A, Format.MARKDOWN, title="A"),
            Document(DOC_B, Format.PDF, pages=3, date=dt.date(2023, 6, 1), date_source="option"),
        ),
        claims=CLAIMS,
        links=tuple(links),
        problems=(InputProblem("briefs/gone.docx", "missing", "no such file"),),
        generated_at=generated_at,
    )
    return report_to_dict(report)


def _shards(n: int) -> list[dict[str, Any]]:
    return [
        _report(lambda url, k=k: in_shard(url, k, n), FULL_TIME - dt.timedelta(seconds=n - k))
        for k in range(1, n + 1)
    ]


def test_three_shards_split_twenty_links_and_merge_back_to_the_full_report() -> None:
    full = _report(lambda url: True, FULL_TIME)
    shards = _shards(3)

    checked = [
        {link["url"] for link in shard["links"] if link["status"] != "unchecked"}
        for shard in shards
    ]
    every_url = {link["url"] for link in full["links"]}
    assert set().union(*checked) == every_url  # every URL in a shard...
    assert sum(len(urls) for urls in checked) == 20  # ...and in only one
    assert all(len(urls) >= 3 for urls in checked)  # and no shard is nearly empty

    merged = merge_reports(shards)
    assert merged["links"] == full["links"]
    assert merged["summary"] == full["summary"]
    assert merged == full

    # Order does not change the result.
    assert merge_reports(list(reversed(shards)))["links"] == full["links"]


def test_merging_does_not_modify_its_inputs() -> None:
    shards = _shards(2)
    before = copy.deepcopy(shards)
    merge_reports(shards)
    assert shards == before


def test_a_link_no_shard_checked_stays_unchecked_and_skipped_beats_unchecked() -> None:
    base = _report(lambda url: False, FULL_TIME)
    skipped = copy.deepcopy(base)
    skipped["links"][0].update(status="skipped", reason="unsupported-scheme")
    merged = merge_reports([base, skipped])
    assert merged["links"][0]["status"] == "skipped"
    assert merged["links"][1]["status"] == "unchecked"
    assert merged["summary"]["by_status"] == {"skipped": 1, "unchecked": 19}
    assert merged["summary"]["by_reason"] == {"unsupported-scheme": 1}


def test_disjoint_shards_union_links_documents_claims_and_problems() -> None:
    full = _report(lambda url: True, FULL_TIME)
    first, second = copy.deepcopy(full), copy.deepcopy(full)
    first["links"], second["links"] = full["links"][:10], full["links"][10:]
    second["documents"] = second["documents"][1:]
    second["problems"].append({"document": "x.pdf", "code": "corrupt", "message": "bad"})
    merged = merge_reports([first, second])
    assert merged["links"] == full["links"]
    assert merged["documents"] == full["documents"]  # de-duplicated, counts recomputed
    assert merged["claims"] == full["claims"]
    assert [p["document"] for p in merged["problems"]] == ["briefs/gone.docx", "x.pdf"]
    assert merged["summary"]["problems"] == 2


def test_occurrences_are_deduplicated_and_the_checked_ones_kept() -> None:
    full = _report(lambda url: True, FULL_TIME)
    unchecked = _report(lambda url: False, FULL_TIME)
    extra = copy.deepcopy(unchecked)
    cited_elsewhere = dict(extra["links"][1]["occurrences"][0], line=999)
    extra["links"][1]["occurrences"].append(cited_elsewhere)
    merged = merge_reports([extra, full])
    link = merged["links"][1]
    assert link["status"] == full["links"][1]["status"]
    assert link["occurrences"] == [*full["links"][1]["occurrences"], cited_elsewhere]
    assert merged["summary"]["occurrences"] == full["summary"]["occurrences"] + 1


def test_generated_at_is_the_newest() -> None:
    shards = _shards(3)
    assert merge_reports(shards)["generated_at"] == FULL_TIME.isoformat()


def test_schema_versions_must_match() -> None:
    shards = _shards(2)
    shards[1]["schema_version"] = 2
    with pytest.raises(ValueError, match=r"schema versions \(report 1: 1, report 2: 2\)"):
        merge_reports(shards)
    with pytest.raises(ValueError, match=r"shard-1\.json: 1, shard-2\.json: 2"):
        merge_reports(shards, names=["shard-1.json", "shard-2.json"])


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="no reports"):
        merge_reports([])
    with pytest.raises(ValueError, match=r"^b\.json: not a linkcheck JSON report$"):
        merge_reports([_shards(1)[0], {"links": [{"nope": 1}]}], names=["a.json", "b.json"])
