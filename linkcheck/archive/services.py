"""Recognising archive URLs: links that are already archived copies are neither looked up nor
submitted, and archive.today copies are flagged as weak sources."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from linkcheck.archive.config import ArchiveConfig

# archive.today's mirrors. Wikipedia deprecated it in Feb 2026 (altered pages, DDoS code in its
# CAPTCHA page): never submit to it, and flag citations that point at it.
ARCHIVE_TODAY_HOSTS = frozenset(
    {
        "archive.today",
        "archive.ph",
        "archive.is",
        "archive.md",
        "archive.li",
        "archive.vn",
        "archive.fo",
    }
)
ARCHIVE_HOSTS = ARCHIVE_TODAY_HOSTS | frozenset(
    {
        "web.archive.org",
        "wayback.archive.org",
        "webcitation.org",
        "timetravel.mementoweb.org",
        "perma.cc",
        "arquivo.pt",
        "webarchive.loc.gov",
        "webarchive.org.uk",
        "archive-it.org",
        "wayback.archive-it.org",
    }
)

_WAYBACK_PATH = re.compile(r"/web/(\d{1,14})([a-z]{2}_)?/(.+)$", re.DOTALL)


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().rstrip(".")


def _within(host: str, domains: frozenset[str]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def is_weak_archive(url: str) -> bool:
    """An archive.today copy: kept as a citation, but reported as a weak source."""
    return _within(_host(url), ARCHIVE_TODAY_HOSTS)


def is_archive_url(url: str, config: ArchiveConfig | None = None) -> bool:
    """A link into a web archive (or the configured Wayback/TimeTravel endpoints)."""
    host = _host(url)
    if not host:
        return False
    if _within(host, ARCHIVE_HOSTS):
        return True
    # archive.org itself hosts items (books, reports) worth citing; only its replay paths are
    # archived copies.
    if host in ("archive.org", "www.archive.org"):
        path = urlsplit(url).path
        return path.startswith(("/web/", "/wayback/"))
    if config is not None:
        own = {_host(config.wayback_url), _host(config.timetravel_url)} - {""}
        own_netlocs = {urlsplit(config.wayback_url).netloc, urlsplit(config.timetravel_url).netloc}
        try:
            netloc = urlsplit(url).netloc
        except ValueError:
            return False
        # Loopback test servers share a host across ports: compare host:port there.
        if host in {"127.0.0.1", "localhost", "::1"}:
            return netloc in own_netlocs
        return host in own
    return False


def parse_wayback_path(path: str) -> tuple[str, str] | None:
    """(timestamp, original URL) from `/web/<ts>[mod_]/<url>` or a full replay URL."""
    match = _WAYBACK_PATH.search(path)
    if match is None:
        return None
    original = match.group(3)
    # Some answers collapse "https://" to "https:/" inside the path.
    original = re.sub(r"^(https?):/(?!/)", r"\1://", original)
    return match.group(1), original


def replay_url(config: ArchiveConfig, timestamp: str, original: str, modifier: str = "") -> str:
    """`{wayback}/web/<ts><modifier>/<original>` on the configured Wayback base."""
    return f"{config.wayback_base}/web/{timestamp}{modifier}/{original}"


def strip_fragment(url: str) -> str:
    """Fragments never reach a server, and CDX ignores them: look up without one."""
    return url.split("#", 1)[0]
