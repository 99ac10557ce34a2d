"""The check store: every check of every URL, with its time, in one SQLite database.

Two uses share it. The cache: `fresh()` hands back the latest verdict while it is younger than its
TTL, a long one for a page that worked and a short one for a failure, so a failure is checked
again soon (html-proofer#556: failures never re-checked). The history: `confirmed_failure()`
tells a link that has failed several checks over several days from one that failed once,
InternetArchiveBot's rule for calling a link dead (3 failed checks spanning at least 6 days).

Every check is appended, never updated in place, so the history is the table itself; `purge()`
drops rows older than what any TTL or history rule still needs.

Several processes (parallel CI shards on one runner, or two terminals) may write one database:
WAL mode lets readers and a writer work at once, `busy_timeout` makes a writer wait for another,
and a bounded retry loop covers the "database is locked" errors SQLite returns without waiting
(a busy WAL checkpoint, two connections opening a new file at the same moment).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from linkcheck.models import Status, Support, SupportVerdict, Verdict

DEFAULT_PATH = Path(".linkcheck/cache.sqlite3")
SECONDS_PER_DAY = 86400.0

# Reused for the long TTL: the page worked.
PASSED = frozenset({Status.OK, Status.REDIRECTED})
# Reused for the short TTL: the page did not work, and the next run should soon look again.
FAILED = frozenset({Status.BROKEN, Status.UNREACHABLE, Status.BLOCKED})
# Count towards a confirmed failure. `blocked` does not: a bot wall, a login or a rate limit
# says nothing about whether the page is there, so such a check is passed over by the rule
# (it neither counts nor resets the count).
CONFIRMING = frozenset({Status.BROKEN, Status.UNREACHABLE})
# Nothing was learned: never stored, never reused (lychee#1850: excluded links came back from
# the cache as if checked).
NOT_CHECKED = frozenset({Status.SKIPPED, Status.UNCHECKED})

BUSY_TIMEOUT_MS = 10_000
WRITE_TRIES = 20

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS checks (
        url TEXT NOT NULL,
        checked_at REAL NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        http_status INTEGER,
        final_url TEXT,
        verdict_json TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS checks_url_time ON checks (url, checked_at)",
    "CREATE INDEX IF NOT EXISTS checks_time ON checks (checked_at)",  # for purge
    # What the live page said about each claim at that check, so a cached check keeps its
    # evidence (the page is not fetched again while the check is fresh).
    """
    CREATE TABLE IF NOT EXISTS supports (
        url TEXT NOT NULL,
        claim TEXT NOT NULL,
        checked_at REAL NOT NULL,
        support_json TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS supports_url_time ON supports (url, checked_at)",
)

_T = TypeVar("_T")


@dataclass(frozen=True)
class HistoryEntry:
    """One past check of a URL."""

    checked_at: float  # seconds since the epoch
    status: Status
    reason: str | None


def verdict_to_json(verdict: Verdict) -> str:
    """The verdict as JSON, every field, so that `verdict_from_json` gives it back equal."""
    data = asdict(verdict)
    data["status"] = str(verdict.status)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def verdict_from_json(text: str) -> Verdict | None:
    """The verdict `verdict_to_json` wrote; None when the text cannot be one (a damaged row, or
    a status this version does not know), which the cache treats as a miss."""
    try:
        data = json.loads(text)
        known = {item.name for item in fields(Verdict)}
        values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        values["status"] = Status(values["status"])
        values["redirects"] = tuple(values.get("redirects", ()))
        return Verdict(**values)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def support_to_json(support: Support) -> str:
    return json.dumps(asdict(support), sort_keys=True)


def support_from_json(text: str) -> Support | None:
    """The Support back from its JSON; None for a damaged row."""
    try:
        data = json.loads(text)
        data["verdict"] = SupportVerdict(data["verdict"])
        for name in ("facts_found", "facts_missing"):
            data[name] = tuple(data[name])
        return Support(**data)
    except (ValueError, TypeError, KeyError):
        return None


def confirmed_failure(entries: Sequence[HistoryEntry], *, checks: int, days: float) -> bool:
    """Whether a link has failed for long enough to call it dead (IABot: checks=3, days=6).

    True when the newest `checks` conclusive entries are all failures (`broken` or
    `unreachable`) and the oldest of them is at least `days` days before the newest. A pass
    (`ok`, `redirected`) among them resets the count; `blocked`, `skipped` and `unchecked`
    entries are passed over (inconclusive). With checks=1 and days=0 the newest failure is
    enough. `entries` may come in any order."""
    if checks < 1 or days < 0:
        raise ValueError("checks must be at least 1 and days not negative")
    newest_first = sorted(entries, key=lambda entry: entry.checked_at, reverse=True)
    run: list[HistoryEntry] = []
    for entry in newest_first:
        if entry.status in PASSED:
            break  # a pass since the failures started: they are not consecutive
        if entry.status in CONFIRMING:
            run.append(entry)
            if len(run) == checks:
                break
    if len(run) < checks:
        return False
    return run[0].checked_at - run[-1].checked_at >= days * SECONDS_PER_DAY


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


class CheckStore:
    """The check database. Construct with its path and a clock (tests pass a fake one).

    Use as a context manager, or call `close()`. One store belongs to one thread (sqlite3's
    rule); several processes may each open their own store on the same file."""

    def __init__(
        self, path: Path | str = DEFAULT_PATH, now: Callable[[], float] = time.time
    ) -> None:
        self.path = Path(path)
        self._now = now
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are begun explicitly (BEGIN IMMEDIATE, below).
        self._db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            self._retry(self._setup)
        except BaseException:
            self._db.close()
            raise

    def _setup(self) -> None:
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        # WAL: readers never block the writer; NORMAL sync is safe from corruption in WAL.
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        with self._transaction():
            for statement in _SCHEMA:
                self._db.execute(statement)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    def _retry(self, operation: Callable[[], _T]) -> _T:
        """Run a write, again on "database is locked/busy", at most WRITE_TRIES times."""
        for attempt in range(1, WRITE_TRIES + 1):
            try:
                return operation()
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or attempt == WRITE_TRIES:
                    raise
                # Short, growing, jittered sleeps so that two waiting writers do not collide
                # again in step.
                time.sleep(min(0.5, 0.01 * attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")  # the loop returns or raises

    # --- writing ------------------------------------------------------------------------------

    def record(self, url: str, verdict: Verdict, checked_at: float | None = None) -> None:
        """Append one check. Skipped and unchecked verdicts are not checks and are not stored.

        `url` must be the URL actually requested (after any rewriting), as `fresh()` is asked
        with it (lychee#2109)."""
        self.record_many([(url, verdict)], checked_at=checked_at)

    def record_many(
        self, items: Iterable[tuple[str, Verdict]], checked_at: float | None = None
    ) -> int:
        """Append many checks in one transaction, all at `checked_at` (default: now).
        Returns how many were stored."""
        when = self._now() if checked_at is None else checked_at
        rows = [
            (
                url,
                when,
                str(verdict.status),
                verdict.reason,
                verdict.http_status,
                verdict.final_url,
                verdict_to_json(verdict),
            )
            for url, verdict in items
            if verdict.status not in NOT_CHECKED
        ]
        if not rows:
            return 0

        def write() -> None:
            with self._transaction():
                self._db.executemany("INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

        self._retry(write)
        return len(rows)

    def purge(self, older_than: float) -> int:
        """Delete checks more than `older_than` seconds old; returns how many went.

        Keep more than the longest TTL and the history rule's days (docs/CONFIGURATION.md
        suggests max(ttl_ok, fail_after_days, 30 days)); call it at the end of a run."""
        cutoff = self._now() - older_than

        def delete() -> int:
            with self._transaction():
                cursor = self._db.execute("DELETE FROM checks WHERE checked_at < ?", (cutoff,))
                self._db.execute("DELETE FROM supports WHERE checked_at < ?", (cutoff,))
                return cursor.rowcount

        return self._retry(delete)

    # --- reading ------------------------------------------------------------------------------

    def fresh(self, url: str, ttl_ok: float, ttl_failed: float) -> Verdict | None:
        """The latest verdict for `url` if it is younger than its TTL: `ttl_ok` seconds for ok
        and redirected, `ttl_failed` for broken, unreachable and blocked. Else None (check it).

        A check dated in the future (another machine's clock) is not trusted."""
        entry = self.fresh_entry(url, ttl_ok, ttl_failed)
        return entry[0] if entry is not None else None

    def fresh_entry(
        self, url: str, ttl_ok: float, ttl_failed: float
    ) -> tuple[Verdict, float] | None:
        """`fresh()` with the time of that check (to find the evidence recorded with it)."""
        row = self._db.execute(
            "SELECT checked_at, status, verdict_json FROM checks WHERE url = ? "
            "AND status NOT IN (?, ?) ORDER BY checked_at DESC, rowid DESC LIMIT 1",
            (url, *sorted(str(s) for s in NOT_CHECKED)),
        ).fetchone()
        if row is None:
            return None
        checked_at, status, verdict_json = row
        verdict = verdict_from_json(verdict_json)
        if verdict is None or str(verdict.status) != status:
            return None
        if verdict.status in PASSED:
            ttl = ttl_ok
        elif verdict.status in FAILED:
            ttl = ttl_failed
        else:
            return None
        age = self._now() - float(checked_at)
        return (verdict, float(checked_at)) if 0 <= age < ttl else None

    def record_supports(
        self, url: str, supports: Iterable[tuple[str, Support]], checked_at: float
    ) -> None:
        """The live page's support for each claim (by claim text), at the check `checked_at`."""
        rows = [(url, claim, checked_at, support_to_json(s)) for claim, s in supports]
        if not rows:
            return

        def write() -> None:
            with self._transaction():
                self._db.executemany("INSERT INTO supports VALUES (?, ?, ?, ?)", rows)

        self._retry(write)

    def supports(self, url: str, checked_at: float) -> dict[str, Support]:
        """The support recorded with the check of `url` at `checked_at`, by claim text."""
        rows = self._db.execute(
            "SELECT claim, support_json FROM supports WHERE url = ? AND checked_at = ?",
            (url, checked_at),
        ).fetchall()
        found = {}
        for claim, text in rows:
            support = support_from_json(text)
            if support is not None:
                found[str(claim)] = support
        return found

    def history(self, url: str, limit: int = 50) -> list[HistoryEntry]:
        """The latest `limit` checks of `url`, newest first."""
        rows = self._db.execute(
            "SELECT checked_at, status, reason FROM checks WHERE url = ? "
            "ORDER BY checked_at DESC, rowid DESC LIMIT ?",
            (url, limit),
        ).fetchall()
        entries = []
        for checked_at, status, reason in rows:
            try:
                entries.append(HistoryEntry(float(checked_at), Status(status), reason))
            except ValueError:  # a status written by a newer linkcheck: not ours to judge
                continue
        return entries

    def count(self) -> int:
        """How many checks are stored."""
        return int(self._db.execute("SELECT COUNT(*) FROM checks").fetchone()[0])

    # --- closing ------------------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> CheckStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error. IMMEDIATE takes the write lock at the
    start, where busy_timeout can wait for it; a deferred transaction that upgrades to a write
    later can fail with "database is locked" at once, without waiting."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
