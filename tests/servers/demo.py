"""A small policy site, its archive and a brief citing it: the whole pipeline on loopback.

Used by the end-to-end tests and by `make demo` (`python tests/servers/demo.py OUTDIR`), which
audits the brief and writes the HTML report, so anyone can see dead links, redirects,
snapshots, evidence and drift on a machine with no network.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script by `make demo`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from servers.fake_archive import CaptureSpec, FakeArchive

BRIEF_DATE = "2022-06-08"
CAPTURED = "20220601120000"  # a week before the brief: the copy its author read


def _html(title: str, *paragraphs: str) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    nav = "<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body>{nav}<main><h1>{title}</h1>{body}</main><footer>© Example</footer></body></html>"
    ).encode()


OVERDOSE = _html(
    "Drug overdose deaths reach a record",
    "Provisional data show about 106,000 drug overdose deaths in the United States in 2021.",
    "Over 70,000 of those deaths involved synthetic opioids, mainly illicit fentanyl.",
)
BORDER = _html(
    "Southwest border encounters",
    "Agents now report some 7,500 encounters at the Southwest Border on an average day.",
)
UNRELATED = _html("Cookie policy", "We use cookies to improve your experience on this site.")
CARTELS_THEN = _html(
    "Organized crime and territory",
    "The head of Northern Command told senators the cartels control 30-35 percent of "
    "Mexican territory.",
)
CARTELS_NOW = _html(
    "Organized crime and territory",
    "Officials say criminal groups hold sway over a large share of the country.",
)
JOURNALISTS_THEN = _html(
    "Journalists killed in Mexico",
    "At least 7 journalists were killed in Mexico in 2021, making it the deadliest country "
    "for the press.",
)
NEW_REPORT = _html("Annual trade report 2022", "Trade disputes under the USMCA are mounting.")
HOME = _html("Ministry of Examples", "Welcome.")
SOFT_404 = _html("Page not found", "Sorry, we could not find that page.")
CHALLENGE = b"<html><head><title>Just a moment...</title></head><body>Checking</body></html>"


@dataclass(frozen=True)
class Route:
    status: int
    body: bytes = b""
    location: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


ROUTES: dict[str, Route] = {
    "/": Route(200, HOME),
    "/reports/overdose-deaths-record": Route(200, OVERDOSE),
    "/border/encounters-per-day": Route(200, BORDER),
    "/trade/letters-usmca": Route(200, UNRELATED),
    "/cartels/territory-control": Route(200, CARTELS_NOW),
    "/press/journalists-killed": Route(404, _html("Not found")),
    "/press/archive-lost": Route(410, _html("Gone")),
    "/old/trade-report": Route(301, location="/new/trade-report"),
    "/new/trade-report": Route(200, NEW_REPORT),
    "/news/2021/senate-letter": Route(301, location="/"),
    "/data/homicides": Route(200, SOFT_404),
    "/protected/fentanyl-seizures": Route(
        403, CHALLENGE, headers=(("cf-mitigated", "challenge"), ("Server", "cloudflare"))
    ),
}


class _Handler(BaseHTTPRequestHandler):
    server: _Site

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.hits[self.path] = self.server.hits.get(self.path, 0) + 1
        if self.path == "/brief.md":  # the brief itself, for `linkcheck audit <web address>`
            host, port = self.server.server_address[:2]
            body = brief(f"http://{host!s}:{port}").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/markdown; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        route = ROUTES.get(self.path.split("?")[0])
        if route is None:
            route = Route(404, _html("Not found"))
        self.send_response(route.status)
        if route.location:
            self.send_header("Location", route.location)
        for name, value in route.headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        self.wfile.write(route.body)


class _Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[_Handler]) -> None:
        super().__init__(address, handler)
        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}  # requests seen, by path


@dataclass
class World:
    """The running demo: the site's URL, its request counts, and the archive."""

    site: str
    archive: FakeArchive
    _server: _Site

    def hits(self, path: str) -> int:
        with self._server.lock:
            return self._server.hits.get(path, 0)


def brief(site: str) -> str:
    """A Markdown brief whose links point at the demo site."""
    return f"""---
title: Demo brief on U.S.-Mexico relations
date: {BRIEF_DATE}
---
# Demo brief on U.S.-Mexico relations

The CDC reported record U.S. overdose deaths at nearly 106,000; more than 70,000 of those were
attributed to synthetic opioids ([CDC data]({site}/reports/overdose-deaths-record)).

Numbers on par with a small town, 7,500 people, arrive at the Southwest Border every day, and
flows are expected to double ([CBP figures]({site}/border/encounters-per-day)).

Letters from the U.S. Chamber of Commerce and the American Petroleum Institute raise problems
with USMCA ([letters]({site}/trade/letters-usmca)).

The cartels now control 30-35 percent of Mexican territory
([testimony]({site}/cartels/territory-control)).

At least 7 journalists were killed in Mexico in 2021
([press freedom]({site}/press/journalists-killed)).

Reporters fear a rising toll in 2022 ([press archive]({site}/press/archive-lost)).

Trade disputes under the USMCA are mounting ([trade report]({site}/old/trade-report)).

Senators wrote to the Trade Representative ([senate letter]({site}/news/2021/senate-letter)).

Homicides reached a record ([homicide data]({site}/data/homicides)).

Fentanyl seizures at the border tripled ([seizures]({site}/protected/fentanyl-seizures)).

Contact us at [our office](mailto:office@example.org).
"""


def captures(site: str) -> dict[str, list[CaptureSpec]]:
    """What the fake archive holds: the pages as the brief's author read them."""
    return {
        f"{site}/reports/overdose-deaths-record": [
            (CAPTURED, 200, "OVERDOSE1", "text/html", OVERDOSE)
        ],
        f"{site}/cartels/territory-control": [
            (CAPTURED, 200, "CARTELS1", "text/html", CARTELS_THEN)
        ],
        f"{site}/press/journalists-killed": [
            (CAPTURED, 200, "JOURNAL1", "text/html", JOURNALISTS_THEN)
        ],
        f"{site}/old/trade-report": [(CAPTURED, 200, "TRADE1", "text/html", NEW_REPORT)],
    }


@contextmanager
def demo_world() -> Iterator[tuple[str, FakeArchive]]:
    """The demo site and its archive, running; yields (site URL, archive)."""
    with demo_world_counted() as world:
        yield world.site, world.archive


@contextmanager
def demo_world_counted() -> Iterator[World]:
    """The demo site and its archive, with the site's request counts."""
    site = _Site(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(
        target=site.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{site.server_address[1]}"
    archive = FakeArchive(captures(url)).start()
    try:
        yield World(url, archive, site)
    finally:
        archive.close()
        site.shutdown()
        site.server_close()


def main(argv: list[str]) -> int:
    """Audit the demo brief and write its reports into OUTDIR (default: demo-output)."""
    out = Path(argv[1] if len(argv) > 1 else "demo-output")
    out.mkdir(parents=True, exist_ok=True)
    with demo_world() as (site, archive):
        document = out / "demo-brief.md"
        document.write_text(brief(site), encoding="utf-8")
        # The fake archive needs none of the public archive's rate limits.
        config = Path(__file__).resolve().parent.parent / "fixtures" / "fast-archive.toml"
        command = [
            sys.executable, "-m", "linkcheck", "audit", str(document),
            "--wayback-url", archive.url, "--no-cache", "--config", str(config),
            "--fail-on", "broken,drifted",
            "--output", f"html:{out / 'report.html'}",
            "--output", f"json:{out / 'report.json'}",
            "--output", f"markdown:{out / 'summary.md'}",
        ]  # fmt: skip
        code = subprocess.run(command, check=False, timeout=300).returncode
    print(f"\ndemo: exit code {code}; open {out / 'report.html'}")
    return 0 if code in (0, 1) else code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
