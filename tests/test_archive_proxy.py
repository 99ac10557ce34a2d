"""Lookups through a plain-HTTP forward proxy taken from HTTP_PROXY (trust_env=True)."""

from __future__ import annotations

import datetime as dt

import pytest
from archive_fixtures import fast_config, run_with
from servers.fake_archive import FakeArchive, ForwardProxy

from linkcheck.archive import closest_snapshot
from linkcheck.models import Snapshot

PAGE = "https://example.org/report"


def test_lookup_through_a_forward_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    captures = {PAGE: [("20200101000000", 200, "A", "text/html", b"<title>Report</title>")]}
    with FakeArchive(captures) as archive, ForwardProxy() as proxy:
        for name in (
            "NO_PROXY",
            "no_proxy",
            "ALL_PROXY",
            "all_proxy",
            "HTTPS_PROXY",
            "https_proxy",
        ):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("http_proxy", proxy.url)
        config = fast_config(archive.url)
        snapshot = run_with(
            config,
            lambda client, limiter: closest_snapshot(
                PAGE, dt.date(2021, 1, 1), client, config, limiter
            ),
            trust_env=True,
        )
        assert isinstance(snapshot, Snapshot) and snapshot.timestamp == "20200101000000"
        # Both the CDX query and the validating replay went through the proxy.
        assert len(proxy.forwarded) == len(archive.requests) == 2
        assert proxy.forwarded[0].startswith(f"{archive.url}/cdx/search/cdx?")
        assert proxy.forwarded[1] == f"{archive.url}/web/20200101000000id_/{PAGE}"
