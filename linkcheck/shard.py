"""Sharding: split the URLs of a run across N parallel jobs, and merge their JSON reports.

Every shard reads every document (extraction is cheap and local) and checks only the URLs that
`in_shard` gives it; the links of other shards stay in its report with status "unchecked". The
merge then takes, for each URL, the entry its own shard checked.

The partition hashes the URL with SHA-256, never Python's `hash()`, which is salted per process
(PYTHONHASHSEED): every job, on any machine and any Python version, agrees on where a URL goes.
Note that per-host limits hold per shard: N shards may reach one host N times as hard, so lower
`host_concurrency` when sharding sites that rate-limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urldefrag

from linkcheck.urls import normalize_url

_SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")
UNCHECKED = "unchecked"


def parse_shard(text: str) -> tuple[int, int]:
    """ "2/4" → (2, 4): shard K of N, counted from 1. Raises ValueError (one line) otherwise."""
    match = _SHARD.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a shard: use K/N, e.g. 2/4 for the second of four")
    k, n = int(match.group(1)), int(match.group(2))
    if n < 1:
        raise ValueError(f"{text!r} is not a shard: N must be at least 1")
    if not 1 <= k <= n:
        raise ValueError(f"{text!r} is not a shard: K must be between 1 and N ({n})")
    return k, n


def shard_of(url: str, n: int) -> int:
    """The shard (1 to n) that checks `url`.

    The URL is normalised and its #fragment dropped first: links to one page with different
    fragments land in the same shard, which then fetches the page once."""
    if n < 1:
        raise ValueError("the number of shards must be at least 1")
    key = urldefrag(normalize_url(url)).url
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % n + 1


def in_shard(url: str, k: int, n: int) -> bool:
    """Whether shard `k` of `n` (1-based) checks `url`. Each URL is in exactly one shard."""
    if not 1 <= k <= n:
        raise ValueError(f"shard {k} of {n} does not exist")
    return shard_of(url, n) == k


# --- merging --------------------------------------------------------------------------------


def merge_reports(
    reports: Sequence[Mapping[str, Any]], *, names: Sequence[str] | None = None
) -> dict[str, Any]:
    """One JSON report (the form of `linkcheck.report.json.report_to_dict`) from the reports
    of the shards of one run. `names` (e.g. the files read) label them in error messages.

    - `schema_version` must be the same in all (else ValueError naming each one's version);
    - documents, claims and problems are de-duplicated (by source, by id, by their content);
    - links are merged by URL, in order of first appearance: an entry whose status is not
      "unchecked" wins over an unchecked one (the first such entry if several shards checked
      it), and occurrences are de-duplicated by place and claim, the winner's first;
    - flags, each claim's links, each document's occurrence count and the summary are
      recomputed from the merged links, as `report_to_dict` computes them;
    - `generated_at` is the newest of all.
    """
    if not reports:
        raise ValueError("no reports to merge")
    labels = (
        list(names) if names is not None else [f"report {i}" for i in range(1, len(reports) + 1)]
    )
    if len(labels) != len(reports):
        raise ValueError("merge_reports: one name per report")
    for label, report in zip(labels, reports, strict=True):
        _check_shape(report, label)
    versions = [report.get("schema_version") for report in reports]
    if len(set(map(repr, versions))) > 1:
        listed = ", ".join(
            f"{label}: {version}" for label, version in zip(labels, versions, strict=True)
        )
        raise ValueError(f"cannot merge reports of different schema versions ({listed})")

    links = _merge_links(reports)
    documents = _unique((d for r in reports for d in r.get("documents", [])), lambda d: d["source"])
    problems = _unique(
        (p for r in reports for p in r.get("problems", [])),
        lambda p: (p.get("document"), p.get("code"), p.get("message")),
    )
    claims = _unique((c for r in reports for c in r.get("claims", [])), lambda c: c["id"])

    per_document = Counter(o["document"] for link in links for o in link["occurrences"])
    documents = [{**d, "occurrences": per_document.get(d["source"], 0)} for d in documents]
    urls_by_claim: dict[str, list[str]] = {}
    for link in links:
        for claim_id in _claim_ids(link):
            urls_by_claim.setdefault(claim_id, []).append(link["url"])
    claims = [_claim(claim, urls_by_claim.get(claim["id"], [])) for claim in claims]

    first = reports[0]
    merged: dict[str, Any] = {
        "$schema": first.get("$schema"),
        "schema_version": first.get("schema_version"),
        "tool": first.get("tool"),
        "generated_at": _newest(r.get("generated_at") for r in reports),
        "summary": {},
        "documents": documents,
        "problems": problems,
        "links": links,
        "claims": claims,
    }
    merged["summary"] = _summary(merged)
    # Keep fields this version does not know about (added by a newer writer), from the first.
    for key, value in first.items():
        merged.setdefault(key, value)
    return merged


def _check_shape(report: Mapping[str, Any], label: str) -> None:
    """Enough of the schema for merging, so that a wrong file is named, not a KeyError."""

    def entries(name: str, key: str) -> bool:
        items = report.get(name, [])
        return isinstance(items, list) and all(
            isinstance(item, Mapping) and isinstance(item.get(key), str) for item in items
        )

    shaped = (
        isinstance(report, Mapping)
        and entries("links", "url")
        and entries("documents", "source")
        and entries("claims", "id")
        and entries("problems", "document")
        and all(
            isinstance(link.get("occurrences"), list)
            and all(isinstance(o, Mapping) for o in link["occurrences"])
            for link in report.get("links", [])
        )
    )
    if not shaped:
        raise ValueError(f"{label}: not a linkcheck JSON report")


def _unique(
    items: Iterable[Mapping[str, Any]], key: Callable[[Mapping[str, Any]], Hashable]
) -> list[dict[str, Any]]:
    seen: set[Any] = set()
    kept = []
    for item in items:
        identity = key(item)
        if identity not in seen:
            seen.add(identity)
            kept.append(dict(item))
    return kept


def _occurrence_key(occurrence: Mapping[str, Any]) -> tuple[Any, ...]:
    # Where a citation stands, and its claim, identify it; support may differ between shards
    # (it is judged only where the link was checked).
    claim = occurrence.get("claim")
    place = ("document", "page", "line", "column", "kind", "anchor_text")
    return (*(occurrence.get(name) for name in place), claim.get("id") if claim else None)


def _merge_occurrences(candidates: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The first candidate's occurrences, then those the others have more of. Counted, not
    just de-duplicated: a PDF page can cite one URL twice in its pooled block, and the two
    citations then look alike (same page, no line, no anchor)."""
    merged: list[Any] = []
    kept: Counter[tuple[Any, ...]] = Counter()
    for candidate in candidates:
        seen: Counter[tuple[Any, ...]] = Counter()
        for occurrence in candidate.get("occurrences", []):
            key = _occurrence_key(occurrence)
            seen[key] += 1
            if seen[key] > kept[key]:
                kept[key] += 1
                merged.append(occurrence)
    return merged


def _merge_links(reports: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    entries: dict[str, list[Mapping[str, Any]]] = {}
    for report in reports:
        for link in report.get("links", []):
            entries.setdefault(link["url"], []).append(link)
    merged = []
    for url, candidates in entries.items():
        checked = [c for c in candidates if c.get("status") != UNCHECKED]
        winner = checked[0] if checked else candidates[0]
        link = dict(winner)
        link["url"] = url
        link["occurrences"] = _merge_occurrences(
            [winner, *(c for c in candidates if c is not winner)]
        )
        if link.get("archive") is None:
            # The archive stage may have found a snapshot in a shard that did not check it.
            link["archive"] = next((c["archive"] for c in candidates if c.get("archive")), None)
        link["flags"] = _flags(link, candidates)
        merged.append(link)
    return merged


def _claim_ids(link: Mapping[str, Any]) -> list[str]:
    ids: list[str] = []
    for occurrence in link["occurrences"]:
        claim = occurrence.get("claim")
        if claim is not None and claim["id"] not in ids:
            ids.append(claim["id"])
    return ids


_LINK_FLAGS = ("cited-for-different-claims", "weak-claim-match", "no-claim")


def _flags(link: Mapping[str, Any], candidates: Sequence[Mapping[str, Any]]) -> list[str]:
    """As `linkcheck.report.json.link_flags` computes them, plus any flag this version does
    not compute that an input carried."""
    occurrences = link["occurrences"]
    flags = []
    if len(_claim_ids(link)) > 1:
        flags.append("cited-for-different-claims")
    if any(o.get("claim") is not None and o["claim"]["confidence"] < 0.45 for o in occurrences):
        flags.append("weak-claim-match")
    if any(o.get("claim") is None for o in occurrences):
        flags.append("no-claim")
    for candidate in candidates:
        for flag in candidate.get("flags", []):
            if flag not in _LINK_FLAGS and flag not in flags:
                flags.append(flag)
    return flags


def _claim(claim: Mapping[str, Any], urls: list[str]) -> dict[str, Any]:
    other_flags = [f for f in claim.get("flags", []) if f != "carried-by-several-links"]
    return {
        **claim,
        "links": urls,
        "flags": (["carried-by-several-links"] if len(urls) > 1 else []) + other_flags,
    }


def _newest(stamps: Iterable[object]) -> str | None:
    newest: tuple[dt.datetime, str] | None = None
    for stamp in stamps:
        if not isinstance(stamp, str):
            continue
        try:
            when = dt.datetime.fromisoformat(stamp)
        except ValueError:
            continue
        if when.tzinfo is None:  # the report writes UTC; a naive stamp is taken as UTC too
            when = when.replace(tzinfo=dt.UTC)
        if newest is None or when > newest[0]:
            newest = (when, stamp)
    return None if newest is None else newest[1]


def _summary(report: Mapping[str, Any]) -> dict[str, Any]:
    """Mirrors `linkcheck.report.json.summary`, on the dict form."""
    links = report["links"]
    statuses = Counter(str(link["status"]) for link in links)
    support = Counter(
        str(o["support"]["verdict"])
        for link in links
        for o in link["occurrences"]
        if o.get("support")
    )
    reasons = Counter(link["reason"] for link in links if link.get("reason"))
    return {
        "documents": len(report["documents"]),
        "problems": len(report["problems"]),
        "links": len(links),
        "occurrences": sum(len(link["occurrences"]) for link in links),
        "claims": len(report["claims"]),
        "claims_with_links": len({claim_id for link in links for claim_id in _claim_ids(link)}),
        "by_status": dict(sorted(statuses.items())),
        "by_reason": dict(sorted(reasons.items())),
        "by_support": dict(sorted(support.items())),
        "archived": sum(1 for link in links if link.get("archive") is not None),
    }
