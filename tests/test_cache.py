"""The check store: TTL reuse with a fake clock, history, the confirmed-failure rule, purging,
and two processes writing one database at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkcheck.cache import CheckStore, HistoryEntry, confirmed_failure
from linkcheck.models import Status, Verdict

DAY = 86400.0
HOUR = 3600.0
URL = "https://example.org/report.pdf"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.time = start

    def __call__(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[CheckStore]:
    with CheckStore(tmp_path / "state" / "cache.sqlite3", now=clock) as opened:
        yield opened


OK = Verdict(Status.OK, http_status=200, attempts=1, elapsed=0.123456, content_type="text/html")
BROKEN = Verdict(Status.BROKEN, reason="http-404", http_status=404, attempts=1)


def test_database_file_and_schema(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "nested" / "dir" / "cache.sqlite3"
    with CheckStore(path, now=clock) as store:
        store.record(URL, OK)
    assert path.is_file()  # the parent directories were made
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [row[1] for row in db.execute("PRAGMA table_info(checks)")]
        assert columns == [
            "url",
            "checked_at",
            "status",
            "reason",
            "http_status",
            "final_url",
            "verdict_json",
        ]
        indexes = [row[1] for row in db.execute("PRAGMA index_list(checks)")]
        index_columns = {
            name: [r[2] for r in db.execute(f"PRAGMA index_info({name})")] for name in indexes
        }
        assert ["url", "checked_at"] in index_columns.values()
        assert db.execute("SELECT url, checked_at, status, http_status FROM checks").fetchall() == [
            (URL, clock.time, "ok", 200)
        ]
    finally:
        db.close()


def test_the_verdict_round_trips_exactly(store: CheckStore) -> None:
    verdict = Verdict(
        Status.REDIRECTED,
        reason="redirected",
        http_status=301,
        final_url="https://example.org/new?q=1#top",
        redirects=("https://example.org/a", "https://example.org/new?q=1"),
        attempts=3,
        elapsed=1.0 / 3.0,
        content_type="text/html; charset=utf-8",
        title='Ünïcode <title> \u2014 "quoted"',
        detail="moved permanently",
    )
    store.record(URL, verdict)
    found = store.fresh(URL, ttl_ok=DAY, ttl_failed=HOUR)
    assert found == verdict
    assert found is not None and isinstance(found.redirects, tuple)
    assert isinstance(found.status, Status)


def test_ok_is_reused_for_ttl_ok_then_expires(store: CheckStore, clock: Clock) -> None:
    store.record(URL, OK)
    clock.advance(DAY - 1)
    assert store.fresh(URL, ttl_ok=DAY, ttl_failed=HOUR) == OK
    clock.advance(1)
    assert store.fresh(URL, ttl_ok=DAY, ttl_failed=HOUR) is None


def test_failures_get_the_short_ttl(store: CheckStore, clock: Clock) -> None:
    for status, reason in (
        (Status.BROKEN, "http-404"),
        (Status.UNREACHABLE, "dns"),
        (Status.BLOCKED, "bot-challenge"),
    ):
        url = f"https://example.org/{status}"
        verdict = Verdict(status, reason=reason)
        store.record(url, verdict)
        clock.advance(HOUR - 1)
        assert store.fresh(url, ttl_ok=DAY, ttl_failed=HOUR) == verdict
        clock.advance(1)
        # Still well within ttl_ok: a failure must be checked again soon.
        assert store.fresh(url, ttl_ok=DAY, ttl_failed=HOUR) is None


def test_the_latest_check_decides(store: CheckStore, clock: Clock) -> None:
    store.record(URL, OK)
    clock.advance(60)
    store.record(URL, BROKEN)
    clock.advance(60)
    assert store.fresh(URL, ttl_ok=DAY, ttl_failed=HOUR) == BROKEN
    # A later record wins even at the same timestamp.
    store.record(URL, OK, checked_at=clock.time - 60)
    assert store.fresh(URL, ttl_ok=DAY, ttl_failed=HOUR) == OK


def test_skipped_and_unchecked_are_never_stored_or_reused(store: CheckStore) -> None:
    store.record(URL, Verdict(Status.SKIPPED, reason="excluded"))
    store.record(URL, Verdict(Status.UNCHECKED))
    assert store.fresh(URL, ttl_ok=DAY, ttl_failed=DAY) is None
    assert store.history(URL) == []
    assert store.count() == 0


def test_unknown_url_zero_ttl_and_future_checks_are_misses(store: CheckStore, clock: Clock) -> None:
    assert store.fresh("https://never.example/", ttl_ok=DAY, ttl_failed=HOUR) is None
    store.record(URL, OK)
    assert store.fresh(URL, ttl_ok=0, ttl_failed=0) is None  # a TTL of 0 turns reuse off
    store.record("https://future.example/", OK, checked_at=clock.time + HOUR)
    assert store.fresh("https://future.example/", ttl_ok=DAY, ttl_failed=HOUR) is None


def test_a_damaged_row_is_a_miss(store: CheckStore, tmp_path: Path, clock: Clock) -> None:
    db = sqlite3.connect(tmp_path / "state" / "cache.sqlite3")
    db.execute(
        "INSERT INTO checks VALUES (?, ?, 'ok', NULL, 200, NULL, '{not json')", (URL, clock.time)
    )
    db.commit()
    db.close()
    assert store.fresh(URL, ttl_ok=DAY, ttl_failed=HOUR) is None


def test_history_is_newest_first_and_limited(store: CheckStore, clock: Clock) -> None:
    statuses = [Status.OK, Status.BROKEN, Status.UNREACHABLE, Status.BROKEN]
    for status in statuses:
        store.record(URL, Verdict(status, reason=None if status is Status.OK else "x"))
        clock.advance(DAY)
    store.record("https://other.example/", OK)
    entries = store.history(URL)
    assert [e.status for e in entries] == list(reversed(statuses))
    assert entries[0].checked_at - entries[-1].checked_at == 3 * DAY
    assert entries[-1] == HistoryEntry(clock.time - 4 * DAY, Status.OK, None)
    assert len(store.history(URL, limit=2)) == 2


def test_record_many_is_one_transaction(store: CheckStore, clock: Clock) -> None:
    stored = store.record_many(
        [(f"https://example.org/{i}", OK) for i in range(50)]
        + [("https://example.org/skip", Verdict(Status.SKIPPED))]
    )
    assert stored == 50 and store.count() == 50
    assert store.history("https://example.org/7")[0].checked_at == clock.time


def test_purge_drops_old_checks_only(store: CheckStore, clock: Clock) -> None:
    store.record(URL, BROKEN)
    clock.advance(10 * DAY)
    store.record(URL, OK)
    assert store.purge(older_than=5 * DAY) == 1
    assert [e.status for e in store.history(URL)] == [Status.OK]
    assert store.purge(older_than=5 * DAY) == 0


def test_closed_store_refuses_work(tmp_path: Path) -> None:
    store = CheckStore(tmp_path / "c.sqlite3")
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        store.record(URL, OK)


# --- the confirmed-failure rule (InternetArchiveBot: 3 failed checks over at least 6 days) ----


def entries(*checks: tuple[float, Status]) -> list[HistoryEntry]:
    """History entries from (day, status) pairs, newest first as `history()` gives them."""
    made = [HistoryEntry(day * DAY, status, None) for day, status in checks]
    return sorted(made, key=lambda e: e.checked_at, reverse=True)


FAIL, OKAY = Status.BROKEN, Status.OK


def test_three_failures_over_seven_days_confirm() -> None:
    assert confirmed_failure(entries((0, FAIL), (3, FAIL), (7, FAIL)), checks=3, days=6)


def test_three_failures_within_a_day_do_not() -> None:
    assert not confirmed_failure(entries((0, FAIL), (0.3, FAIL), (0.9, FAIL)), checks=3, days=6)


def test_a_pass_in_between_resets_the_count() -> None:
    history = entries((0, FAIL), (3, OKAY), (6, FAIL), (9, FAIL))
    assert not confirmed_failure(history, checks=3, days=6)
    # ...and enough failures after the pass confirm again.
    history = entries((0, FAIL), (3, OKAY), (6, FAIL), (9, FAIL), (13, FAIL))
    assert confirmed_failure(history, checks=3, days=6)


def test_a_redirect_is_a_pass() -> None:
    history = entries((0, FAIL), (3, Status.REDIRECTED), (6, FAIL), (13, FAIL))
    assert not confirmed_failure(history, checks=3, days=6)


def test_only_the_newest_checks_count() -> None:
    # Old failures, then a recent pass: the link works now.
    assert not confirmed_failure(
        entries((0, FAIL), (3, FAIL), (7, FAIL), (8, OKAY)), checks=3, days=6
    )


def test_unreachable_counts_and_blocked_is_passed_over() -> None:
    unreachable = Status.UNREACHABLE
    assert confirmed_failure(
        entries((0, unreachable), (3, FAIL), (7, unreachable)), checks=3, days=6
    )
    # A bot wall says nothing about the page: neither a failure nor a pass.
    with_block = entries((0, FAIL), (2, Status.BLOCKED), (4, FAIL), (7, FAIL))
    assert confirmed_failure(with_block, checks=3, days=6)
    assert not confirmed_failure(
        entries((0, Status.BLOCKED), (3, Status.BLOCKED), (7, Status.BLOCKED)), checks=3, days=6
    )


def test_too_few_checks_and_the_default_rule() -> None:
    assert not confirmed_failure(entries((0, FAIL), (9, FAIL)), checks=3, days=6)
    assert not confirmed_failure([], checks=1, days=0)
    assert confirmed_failure(entries((0, FAIL)), checks=1, days=0)  # default: fail at once
    assert not confirmed_failure(entries((0, OKAY)), checks=1, days=0)


def test_order_of_entries_does_not_matter() -> None:
    history = entries((0, FAIL), (3, FAIL), (7, FAIL))
    assert confirmed_failure(list(reversed(history)), checks=3, days=6)


def test_bad_rule_is_refused() -> None:
    with pytest.raises(ValueError):
        confirmed_failure([], checks=0, days=1)


def test_rule_on_recorded_history(store: CheckStore, clock: Clock) -> None:
    for _ in range(3):
        store.record(URL, BROKEN)
        clock.advance(3.5 * DAY)
    assert confirmed_failure(store.history(URL), checks=3, days=6)


# --- two processes writing at once ------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from linkcheck.cache import CheckStore
    from linkcheck.models import Status, Verdict

    path, name, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    with CheckStore(path) as store:
        (go.parent / f"ready-{name}").touch()
        deadline = time.monotonic() + 10
        while not go.exists() and time.monotonic() < deadline:  # start together
            time.sleep(0.005)
        for i in range(200):  # one transaction each: as many lock hand-overs as possible
            store.record(f"https://{name}.example/{i}", Verdict(Status.OK, http_status=200))
    """
)


def test_two_processes_write_one_database(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("alpha", "beta")
    ]
    # Both have opened the (new) database; then both start writing at the same moment.
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"ready-{n}").exists() for n in ("alpha", "beta")):
        assert time.monotonic() < deadline and all(w.poll() is None for w in writers)
        time.sleep(0.01)
    go.touch()
    for writer in writers:
        _, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
    with CheckStore(path) as store:
        assert store.count() == 400
        for name in ("alpha", "beta"):
            assert store.history(f"https://{name}.example/199")[0].status is Status.OK
