"""linkcheck against lychee and LinkChecker on a loopback latency server, plus extraction and
start-up timings. Run by `make bench`; see docs/PERFORMANCE.md for the method.

    bench/.venv/bin/python bench/run.py            # 1,000 and 10,000 links (~5-8 minutes)
    BENCH_QUICK=1 bench/.venv/bin/python bench/run.py   # 200 links, small documents (~1 min)
    BENCH_PROFILE=1 ...                            # also profile linkcheck on the largest run

Options (environment or flags): BENCH_SIZES=1000,10000  BENCH_LATENCY_MS=50
BENCH_CONCURRENCY=64  BENCH_TOOLS=linkcheck,lychee,linkchecker  BENCH_SKIP=extract,startup
Writes the table to stdout and everything to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

BIN = Path(sys.executable).parent  # bench/.venv/bin: linkcheck, lychee, py-spy, pyinstrument
LINKCHECKER = HERE / ".venv" / "linkchecker" / "bin" / "linkchecker"
RESULTS = HERE / "results"
CACHE = HERE / ".work"  # generated extraction documents, reused between runs
HOSTS = 8
RUN_TIMEOUT = 600.0  # seconds any one tool run may take before it is killed
# Every tool runs in a scratch directory, so no configuration file (linkcheck.toml,
# pyproject.toml, lychee.toml) and no cache (.linkcheck/, .lycheecache) of this checkout is read.
WORKDIR: Path | None = None


# --------------------------------------------------------------------------- processes


@dataclass
class Measured:
    """One child process: wall time, CPU, and the kernel's high-water mark of its RSS."""

    returncode: int
    wall: float
    user: float
    system: float
    max_rss_mb: float
    processes: int = 1  # the tool's own and every descendant seen while it ran
    timed_out: bool = False


def measure(
    argv: list[str],
    *,
    stdout: Any = subprocess.DEVNULL,
    stderr: Any = subprocess.DEVNULL,
    stdin: Any = subprocess.DEVNULL,
    timeout: float = RUN_TIMEOUT,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Measured:
    """Run `argv`; wall time from spawn to reaping, CPU from wait4(), and peak RSS.

    Peak RSS is the largest VmHWM read from /proc/PID/status, polled every 2 ms until the
    process exits: the kernel's high-water mark of the process image after exec. A tool that
    starts processes of its own (linkcheck checks a large run in several) is charged the sum
    of every process's own high-water mark: an upper bound, as their peaks need not coincide.
    wait4()'s ru_maxrss is only the fallback (processes that end before the first poll): on
    Linux it also counts the parent's resident set at fork/exec, i.e. this script's."""
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=stdout, stderr=stderr, stdin=stdin, env=env, cwd=cwd or WORKDIR
    )
    deadline = started + timeout
    timed_out = False
    status_file = f"/proc/{process.pid}/status"
    peak_kb = 0
    descendants: dict[int, int] = {}  # pid → its VmHWM as last read
    polls = 0
    try:
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, read_hwm(status_file))
            polls += 1
            if polls % 10 == 0:  # processes live long: every 20 ms finds them
                # The last reading, not the largest: VmHWM only grows within one image, and a
                # child read between fork and exec shows the parent's pages, which it shares.
                for child in descendants_of(process.pid):
                    descendants[child] = read_hwm(f"/proc/{child}/status") or descendants.get(
                        child, 0
                    )
            if time.perf_counter() > deadline:
                timed_out = True
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.002)
    except BaseException:  # interrupted: never leave the tool running
        process.kill()
        os.wait4(process.pid, 0)
        raise
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    return Measured(
        returncode=process.returncode,
        wall=wall,
        user=usage.ru_utime,
        system=usage.ru_stime,
        max_rss_mb=((peak_kb or usage.ru_maxrss) + sum(descendants.values())) / 1024,
        processes=1 + len(descendants),
        timed_out=timed_out,
    )


def descendants_of(pid: int) -> list[int]:
    """Every live descendant of `pid`, from /proc/PID/task/TID/children."""
    found: list[int] = []
    stack = [pid]
    while stack:
        parent = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{parent}/task/{task}/children", "rb") as handle:
                    children = [int(word) for word in handle.read().split()]
            except (OSError, ValueError):
                continue
            found.extend(children)
            stack.extend(children)
    return found


def read_hwm(status_file: str) -> int:
    """VmHWM in KiB (0 once the process is gone or not yet exec'd into a new image)."""
    try:
        with open(status_file, "rb") as handle:
            for line in handle:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class LatencyServer:
    """bench/server.py in its own process, so its event loop never shares our GIL."""

    def __init__(self, latency_ms: float) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(HERE / "server.py"),
                "--latency-ms",
                str(latency_ms),
                "--hosts",
                str(HOSTS),
                "--max-seconds",
                "2700",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the benchmark server did not start")
        info = json.loads(line)
        self.port: int = info["port"]
        self.hosts: list[str] = info["hosts"]

    def call(self, path: str) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.port}{path}"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def no_proxy_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.0/8,localhost"
    env["NO_COLOR"] = "1"
    return env


# --------------------------------------------------------------------------- the tools


@dataclass
class Tool:
    name: str
    version: str
    available: bool
    note: str = ""


def tool_versions() -> dict[str, Tool]:
    tools: dict[str, Tool] = {}
    for name, argv in (
        ("linkcheck", [str(BIN / "linkcheck"), "--version"]),
        ("lychee", [str(BIN / "lychee"), "--version"]),
        ("linkchecker", [str(LINKCHECKER), "--version"]),
    ):
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            first = (out.stdout or out.stderr).strip().splitlines()
            version = next((line for line in first if re.search(r"\d+\.\d+", line)), "?")
            tools[name] = Tool(name, version.strip(), out.returncode == 0)
        except (OSError, subprocess.TimeoutExpired) as error:
            tools[name] = Tool(name, "", False, f"not runnable: {error}")
    return tools


def linkcheck_audit_options() -> set[str]:
    """The option names of this checkout's `linkcheck audit` (the CLI is still changing)."""
    out = subprocess.run(
        [str(BIN / "linkcheck"), "audit", "--help"], capture_output=True, text=True, timeout=60
    )
    return set(re.findall(r"(--[a-z][a-z0-9-]+)", out.stdout))


def linkcheck_argv(
    links: Path, out: Path, concurrency: int, options: set[str], support: bool
) -> list[str]:
    argv = [
        str(BIN / "linkcheck"),
        "audit",
        str(links),
        "--format",
        "json",
        "--output",
        str(out),
        "--concurrency",
        str(concurrency),
        "--host-concurrency",
        str(max(1, concurrency // HOSTS)),
        "--host-interval",
        "0",
        "--retries",
        "3",
        "--timeout",
        "20",
        "--quiet",
    ]
    if "--archive" in options:
        argv += ["--archive", "none"]  # no Wayback lookups: there is no network here
    if "--no-support" in options and not support:
        argv += ["--no-support"]  # the other tools do not judge claims either
    if "--no-cache" in options:
        argv += ["--no-cache"]  # check everything afresh, as lychee does without --cache
    return argv


def lychee_argv(links: Path, out: Path, concurrency: int) -> list[str]:
    return [
        str(BIN / "lychee"),
        str(links),
        "--max-concurrency",
        str(concurrency),
        "--host-concurrency",
        str(max(1, concurrency // HOSTS)),
        "--host-request-interval",
        "0s",  # default 50 ms would cap each host at 20 req/s
        "--max-retries",
        "3",
        "--timeout",
        "20",
        "--no-progress",
        "--format",
        "json",
        "--output",
        str(out),
    ]


def linkchecker_config(path: Path, concurrency: int) -> None:
    path.write_text(
        "# Written by bench/run.py\n"
        "[checking]\n"
        f"threads={concurrency}\n"
        # The floor between two requests to one host is 1/maxrequestspersecond, but never
        # below 0.1 s unless the server answers with a `LinkChecker` header (ours does).
        "maxrequestspersecond=10000\n"
        "timeout=20\n"
        "recursionlevel=1\n"  # the document (level 0) and its links (level 1), no deeper
        "[filtering]\n"
        "checkextern=1\n"  # every link is on another host than the file: all "external"
        "[MarkdownCheck]\n",  # read links from .md files
        encoding="utf-8",
    )
    path.chmod(0o644)


def linkchecker_argv(links: Path, config: Path) -> list[str]:
    return [
        str(LINKCHECKER),
        "--config",
        str(config),
        "--no-status",
        "--output",
        "csv",
        "--verbose",
        str(links),
    ]


# --------------------------------------------------------------------------- what each tool found


def outcome_linkcheck(out: Path) -> dict[str, int]:
    data = json.loads(out.read_text(encoding="utf-8"))
    counts = Counter(link["status"] for link in data["links"])
    return {
        "checked": len(data["links"]),
        "ok": counts["ok"],
        "redirected": counts["redirected"],
        "broken": counts["broken"],
        "other": sum(counts.values()) - counts["ok"] - counts["redirected"] - counts["broken"],
    }


def outcome_lychee(out: Path) -> dict[str, int]:
    data = json.loads(out.read_text(encoding="utf-8"))
    return {
        "checked": data["total"],
        "ok": data["successful"],
        "redirected": data["redirects"],
        "broken": data["errors"],
        "other": data["timeouts"] + data["unknown"],
    }


def outcome_linkchecker(out: Path) -> dict[str, int]:
    rows = [
        line for line in out.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
    ]
    reader = csv.DictReader(io.StringIO("\n".join(rows)), delimiter=";")
    links = [row for row in reader if row.get("level") == "1"]
    broken = sum(1 for row in links if row["valid"] == "False")
    moved = sum(1 for row in links if row["url"] != row["urlname"])
    return {
        "checked": len(links),
        "ok": len(links) - broken,
        "redirected": moved,
        "broken": broken,
        "other": 0,
    }


# --------------------------------------------------------------------------- link checking


@dataclass
class CheckRun:
    tool: str
    links: int
    concurrency: int
    latency_ms: float
    wall_seconds: float
    links_per_second: float
    ideal_seconds: float
    ratio_to_ideal: float
    requests: int
    requests_per_url: float
    extra_requests: int  # beyond one GET per URL and one per redirect hop
    peak_rss_mb: float
    cpu_seconds: float
    server_cpu_percent: float
    connections: int
    megabytes_served: float
    found: dict[str, int]
    expected: dict[str, int]
    correct: bool
    returncode: int
    processes: int = 1  # the tool's process and those it started (RSS is summed over them)
    server: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def run_check(
    tool: str,
    argv: list[str],
    out: Path,
    server: LatencyServer,
    links: int,
    mix: Counter[str],
    args: argparse.Namespace,
    *,
    capture_stdout: bool = False,
    label: str | None = None,
) -> CheckRun:
    server.call("/__reset")
    with (
        open(out if capture_stdout else os.devnull, "wb") as sink,
        open(out.with_suffix(".stderr"), "wb") as errors,
    ):
        measured = measure(argv, stdout=sink, stderr=errors, env=no_proxy_env())
    stats = server.call("/__stats")
    ideal = links * args.latency_ms / 1000 / args.concurrency
    expected = {"checked": links, "redirected": mix["old"], "broken": mix["gone"]}
    parse = {
        "linkcheck": outcome_linkcheck,
        "lychee": outcome_lychee,
        "linkchecker": outcome_linkchecker,
    }[tool]
    try:
        found = parse(out)
    except (OSError, ValueError, KeyError) as error:
        found = {"error": 1}
        print(f"  {tool}: could not read its report {out}: {error}", file=sys.stderr)
    correct = all(found.get(key) == value for key, value in expected.items())
    minimum = links + mix["old"]  # one GET per URL, one more per redirect hop
    return CheckRun(
        tool=label or tool,
        links=links,
        concurrency=args.concurrency,
        latency_ms=args.latency_ms,
        wall_seconds=round(measured.wall, 3),
        links_per_second=round(links / measured.wall, 1),
        ideal_seconds=round(ideal, 3),
        ratio_to_ideal=round(measured.wall / ideal, 2),
        requests=stats["requests"],
        requests_per_url=round(stats["requests"] / links, 3),
        extra_requests=stats["requests"] - minimum,
        peak_rss_mb=round(measured.max_rss_mb, 1),
        processes=measured.processes,
        cpu_seconds=round(measured.user + measured.system, 2),
        server_cpu_percent=round(100 * stats["server_cpu_seconds"] / max(measured.wall, 1e-9), 1),
        connections=stats["connections"],
        megabytes_served=round(stats["bytes_offered"] / 1e6, 1),
        found=found,
        expected=expected,
        correct=correct,
        returncode=measured.returncode,
        server=stats,
        note="killed after the time limit" if measured.timed_out else "",
    )


def check_benchmark(
    server: LatencyServer, args: argparse.Namespace, tools: dict[str, Tool], work: Path
) -> list[CheckRun]:
    runs: list[CheckRun] = []
    options = linkcheck_audit_options() if tools["linkcheck"].available else set()
    config = work / "linkcheckerrc"
    linkchecker_config(config, args.concurrency)
    for size in args.sizes:
        urls, mix = corpus.url_list(size, server.hosts, server.port)
        links = work / f"links-{size}.md"
        links.write_text(corpus.links_markdown(urls), encoding="utf-8")
        links.chmod(0o644)  # LinkChecker drops root privileges to `nobody` before reading it
        plan: list[tuple[str, str, list[str], Path, bool]] = []
        if "linkcheck" in args.tools and tools["linkcheck"].available:
            out = work / f"linkcheck-{size}.json"
            plan.append(
                (
                    "linkcheck",
                    "linkcheck",
                    linkcheck_argv(links, out, args.concurrency, options, False),
                    out,
                    False,
                )
            )
            if args.with_support:
                out = work / f"linkcheck-support-{size}.json"
                plan.append(
                    (
                        "linkcheck",
                        "linkcheck +support",
                        linkcheck_argv(links, out, args.concurrency, options, True),
                        out,
                        False,
                    )
                )
        if "lychee" in args.tools and tools["lychee"].available:
            out = work / f"lychee-{size}.json"
            plan.append(("lychee", "lychee", lychee_argv(links, out, args.concurrency), out, False))
        if "linkchecker" in args.tools and tools["linkchecker"].available:
            out = work / f"linkchecker-{size}.csv"
            plan.append(("linkchecker", "LinkChecker", linkchecker_argv(links, config), out, True))
        for tool, label, argv, out, capture in plan:
            print(f"  {size:>6} links  {label:<18}", end="", flush=True)
            run = run_check(
                tool, argv, out, server, size, mix, args, capture_stdout=capture, label=label
            )
            runs.append(run)
            print(
                f" {run.wall_seconds:7.2f} s  {run.links_per_second:7.1f} links/s  "
                f"{run.requests:>6} requests  {run.peak_rss_mb:6.1f} MB"
                f"{'' if run.correct else '  (results differ from the expected)'}",
                flush=True,
            )
    return runs


def server_capacity(server: LatencyServer, args: argparse.Namespace) -> dict[str, Any]:
    """The server's own throughput with zero latency, from a separate load-generator process."""
    server.call("/__latency?ms=0")
    server.call("/__reset")
    try:
        out = subprocess.run(
            [
                sys.executable,
                str(HERE / "loadgen.py"),
                "--port",
                str(server.port),
                "--concurrency",
                str(args.concurrency),
                "--seconds",
                "3",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=no_proxy_env(),
        )
        result: dict[str, Any] = json.loads(out.stdout)
    finally:
        stats = server.call("/__stats")
        server.call(f"/__latency?ms={args.latency_ms}")
    result["server_cpu_percent"] = round(100 * stats["server_cpu_seconds"] / stats["seconds"], 1)
    return result


# --------------------------------------------------------------------------- extraction, start-up


def timed_runs(
    argv: list[str], args: argparse.Namespace, stdout: Path | None = None
) -> list[Measured]:
    """One run; two more (for a median) only when it was short. Each run is capped."""
    runs: list[Measured] = []
    for _ in range(args.repeat):
        if stdout is None:
            runs.append(measure(argv, timeout=args.extract_timeout))
        else:
            with open(stdout, "wb") as sink:
                runs.append(measure(argv, stdout=sink, timeout=args.extract_timeout))
        if runs[-1].wall > 10 or runs[-1].timed_out:
            break
    return runs


def extraction_row(
    tool: str, kind: str, path: Path, runs: list[Measured], links: int
) -> dict[str, Any]:
    timed_out = any(m.timed_out for m in runs)
    return {
        "tool": tool,
        "document": kind,
        "file": path.name,
        "megabytes": round(path.stat().st_size / 1e6, 2),
        "links": links,
        "seconds": round(statistics.median(m.wall for m in runs), 3),
        "runs": len(runs),
        "peak_rss_mb": round(max(m.max_rss_mb for m in runs), 1),
        "cpu_seconds": round(statistics.median(m.user + m.system for m in runs), 2),
        "returncode": runs[0].returncode,
        "timed_out": timed_out,
    }


def extraction_benchmark(
    args: argparse.Namespace, tools: dict[str, Tool], work: Path
) -> list[dict[str, Any]]:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(HERE / "corpus.py"),
            str(CACHE),
            str(args.pdf_pages),
            str(args.text_bytes),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=RUN_TIMEOUT,
    )
    files = corpus.extraction_files(CACHE, args.pdf_pages, args.text_bytes)
    print(f"  documents ready in {time.perf_counter() - started:.1f} s (kept in {CACHE})")
    results = []
    for kind, path in files.items():
        # The extractor alone, in-process (no CLI start-up, no claim stage).
        stage = subprocess.run(
            [sys.executable, str(HERE / "extract_stages.py"), str(path)],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            cwd=work,
        )
        try:
            alone = json.loads(stage.stdout)
        except ValueError:
            alone = {"seconds": None, "links": -1, "pages": None}
        runs = timed_runs(
            [
                str(BIN / "linkcheck"),
                "extract",
                str(path),
                "--format",
                "json",
                "--output",
                "/dev/null",
            ],
            args,
        )
        row = extraction_row("linkcheck extract", kind, path, runs, alone["links"])
        row["extractor_only_seconds"] = alone["seconds"]
        if kind == "pdf":
            row["pages"] = args.pdf_pages
            row["seconds_per_100_pages"] = round(row["seconds"] * 100 / args.pdf_pages, 3)
            if alone["seconds"] is not None:
                row["extractor_only_seconds_per_100_pages"] = round(
                    alone["seconds"] * 100 / args.pdf_pages, 3
                )
        results.append(row)
        capped = f" (stopped at the {args.extract_timeout:g} s cap)" if row["timed_out"] else ""
        print(
            f"  linkcheck extract {kind:<9} {row['seconds']:7.2f} s{capped}  "
            f"{row['peak_rss_mb']:6.1f} MB  {row['links']} links; "
            f"extractor alone {alone['seconds']} s"
        )
        if kind in ("markdown", "html") and tools["lychee"].available:
            dump = work / f"lychee-dump-{kind}.txt"
            runs = timed_runs([str(BIN / "lychee"), "--dump", str(path)], args, stdout=dump)
            lines = sum(1 for line in dump.read_text(encoding="utf-8").splitlines() if line.strip())
            row = extraction_row("lychee --dump", kind, path, runs, lines)
            results.append(row)
            print(
                f"  lychee --dump     {kind:<9} {row['seconds']:7.2f} s  "
                f"{row['peak_rss_mb']:6.1f} MB  {lines} links"
            )
    return results


def startup_benchmark(tools: dict[str, Tool], runs: int) -> list[dict[str, Any]]:
    commands = [
        ("linkcheck --help", [str(BIN / "linkcheck"), "--help"]),
        ("linkcheck --version", [str(BIN / "linkcheck"), "--version"]),
        ("python -c pass (floor)", [sys.executable, "-c", "pass"]),
    ]
    if tools["lychee"].available:
        commands.append(("lychee --version", [str(BIN / "lychee"), "--version"]))
    results = []
    for label, argv in commands:
        measure(argv)  # warm the page cache
        timings = [measure(argv) for _ in range(runs)]
        row = {
            "command": label,
            "median_seconds": round(statistics.median(m.wall for m in timings), 3),
            "min_seconds": round(min(m.wall for m in timings), 3),
            "max_seconds": round(max(m.wall for m in timings), 3),
            "peak_rss_mb": round(max(m.max_rss_mb for m in timings), 1),
            "runs": runs,
        }
        results.append(row)
        print(
            f"  {label:<24} median {row['median_seconds']:.3f} s  "
            f"(min {row['min_seconds']:.3f}, max {row['max_seconds']:.3f})"
        )
    return results


# --------------------------------------------------------------------------- profiling


def profile_linkcheck(
    server: LatencyServer, args: argparse.Namespace, work: Path
) -> dict[str, Any]:
    """py-spy (sampling, native threads) on the largest linkcheck run, aggregated by function."""
    size = max(args.sizes)
    urls, _ = corpus.url_list(size, server.hosts, server.port)
    links = work / f"links-{size}.md"
    links.write_text(corpus.links_markdown(urls), encoding="utf-8")
    out = work / f"linkcheck-profile-{size}.json"
    argv = linkcheck_argv(links, out, args.concurrency, linkcheck_audit_options(), False)
    RESULTS.mkdir(parents=True, exist_ok=True)
    raw = RESULTS / f"profile-linkcheck-{size}.collapsed.txt"
    server.call("/__reset")
    py_spy = [
        str(BIN / "py-spy"),
        "record",
        "--rate",
        "250",
        "--format",
        "raw",
        "--output",
        str(raw),
        "--nonblocking",
        "--subprocesses",  # linkcheck checks a large run in worker processes
        "--",
    ]
    with open(work / "py-spy.log", "wb") as log:
        measured = measure(py_spy + argv, env=no_proxy_env(), stderr=log)
    if measured.returncode != 0 or not raw.exists():
        print("  py-spy failed (see the log); trying pyinstrument")
        text = RESULTS / f"profile-linkcheck-{size}.pyinstrument.txt"
        measure([str(BIN / "pyinstrument"), "-o", str(text), *argv], env=no_proxy_env())
        return {"profiler": "pyinstrument", "file": str(text.relative_to(ROOT))}
    summary = summarize_collapsed(raw, top=30)
    (RESULTS / f"profile-linkcheck-{size}.top.txt").write_text(summary["text"], encoding="utf-8")
    print(summary["text"])
    return {
        "profiler": "py-spy (raw collapsed stacks, 250 Hz)",
        "links": size,
        "wall_seconds_under_profiler": round(measured.wall, 2),
        "collapsed": str(raw.relative_to(ROOT)),
        "top_self": summary["self"],
        "top_total": summary["total"],
    }


def summarize_collapsed(path: Path, top: int) -> dict[str, Any]:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks."""
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    samples = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [frame_name(f) for f in stack.split(";")]
        if frames[-1].startswith("_worker (concurrent/futures/thread.py"):
            continue  # an idle executor thread waiting for work, which py-spy counts as busy
        samples += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            total_counts[frame] += count

    def rows(counter: Counter[str]) -> list[dict[str, Any]]:
        return [
            {"function": name, "percent": round(100 * n / samples, 1), "samples": n}
            for name, n in counter.most_common(top)
        ]

    lines = [f"{samples} samples", "", "self time (where the CPU was):"]
    lines += [f"  {r['percent']:5.1f}%  {r['function']}" for r in rows(self_counts)]
    lines += ["", "inclusive time (the function and what it called):"]
    lines += [f"  {r['percent']:5.1f}%  {r['function']}" for r in rows(total_counts)]
    return {"self": rows(self_counts), "total": rows(total_counts), "text": "\n".join(lines) + "\n"}


def frame_name(frame: str) -> str:
    """'read_prefix (linkcheck/check/engine.py:70)' -> 'read_prefix (linkcheck/check/engine.py)'."""
    frame = re.sub(r":\d+\)$", ")", frame.strip())
    frame = frame.replace(str(ROOT) + "/", "")
    return re.sub(r"\(/.*?/site-packages/", "(", frame)


# --------------------------------------------------------------------------- output


def print_table(results: dict[str, Any]) -> None:
    runs = results["check"]
    if runs:
        print()
        print(
            f"Link checking: {HOSTS} loopback hosts, {results['config']['latency_ms']:g} ms "
            f"latency, concurrency {results['config']['concurrency']} "
            f"(ideal = N x latency / C)"
        )
        header = (
            f"{'tool':<18} {'links':>6} {'wall s':>8} {'links/s':>8} {'x ideal':>8} "
            f"{'requests':>9} {'req/URL':>8} {'extra':>6} {'peak RSS':>9} {'procs':>5} "
            f"{'CPU s':>7} {'srv CPU':>8} {'results':>8}"
        )
        print(header)
        print("-" * len(header))
        for r in runs:
            print(
                f"{r['tool']:<18} {r['links']:>6} {r['wall_seconds']:>8.2f} "
                f"{r['links_per_second']:>8.1f} {r['ratio_to_ideal']:>8.2f} {r['requests']:>9} "
                f"{r['requests_per_url']:>8.3f} {r['extra_requests']:>6} "
                f"{r['peak_rss_mb']:>7.1f}MB {r.get('processes', 1):>5} {r['cpu_seconds']:>7.2f} "
                f"{r['server_cpu_percent']:>7.1f}% {'ok' if r['correct'] else 'DIFFER':>8}"
            )
    capacity = results.get("server_capacity")
    if capacity:
        print(
            f"\nServer alone, zero latency: {capacity['requests_per_second']:.0f} requests/s "
            f"({capacity['megabytes_per_second']:.0f} MB/s) at "
            f"{capacity['server_cpu_percent']:.0f}% "
            f"of one core; the tools need at most {results['config']['ideal_rate']:.0f}/s."
        )
    if results.get("extraction"):
        print("\nExtraction")
        for row in results["extraction"]:
            extra = (
                f"  ({row['seconds_per_100_pages']:.2f} s per 100 pages)"
                if "seconds_per_100_pages" in row
                else ""
            )
            if row.get("extractor_only_seconds") is not None:
                extra += f"  extractor alone {row['extractor_only_seconds']:.2f} s"
            more = ">" if row.get("timed_out") else " "
            print(
                f"  {row['tool']:<18} {row['document']:<9} {row['megabytes']:6.2f} MB "
                f"{row['links']:>7} links {more}{row['seconds']:7.2f} s "
                f"{row['peak_rss_mb']:7.1f} MB{extra}"
            )
    if results.get("startup"):
        print("\nStart-up (median of runs)")
        for row in results["startup"]:
            print(f"  {row['command']:<24} {row['median_seconds']:.3f} s")
    if results.get("targets"):
        print("\nTargets")
        for target in results["targets"]:
            print(
                f"  [{'met' if target['met'] else 'NOT met'}] "
                f"{target['target']}: {target['measured']}"
            )


def evaluate_targets(results: dict[str, Any], latency_ms: float) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []
    runs = {(r["tool"], r["links"]): r for r in results["check"]}
    sizes = sorted({r["links"] for r in results["check"]})
    if sizes:
        n = sizes[-1]
        mine = runs.get(("linkcheck", n))
        theirs = runs.get(("lychee", n))
        if mine:
            targets.append(
                {
                    "target": f"{n} links within 1.3x of ideal",
                    "measured": f"{mine['ratio_to_ideal']}x",
                    "met": mine["ratio_to_ideal"] <= 1.3,
                }
            )
            if theirs:
                targets.append(
                    {
                        "target": f"{n} links: at least lychee's links/s at equal concurrency",
                        "measured": f"{mine['links_per_second']} vs "
                        f"{theirs['links_per_second']} links/s",
                        "met": mine["links_per_second"] >= theirs["links_per_second"],
                    }
                )
            hops = mine["expected"]["redirected"]
            other = mine["requests"] - n - hops
            targets.append(
                {
                    "target": "<= 1.1 requests per unique URL on a healthy server",
                    "measured": f"{mine['requests_per_url']} "
                    f"({mine['requests']} requests = {n} URLs "
                    f"+ {hops} redirect hops + {other} other, i.e. soft-404 probes)",
                    "met": mine["requests_per_url"] <= 1.1,
                }
            )
            targets.append(
                {
                    "target": f"peak RSS < 200 MB for {n} links",
                    "measured": f"{mine['peak_rss_mb']} MB",
                    "met": mine["peak_rss_mb"] < 200,
                }
            )
    for row in results.get("startup", []):
        if row["command"].startswith("linkcheck"):
            targets.append(
                {
                    "target": f"{row['command']} < 0.3 s",
                    "measured": f"{row['median_seconds']} s",
                    "met": row["median_seconds"] < 0.3,
                }
            )
    for row in results.get("extraction", []):
        if "seconds_per_100_pages" in row:
            more = "more than " if row.get("timed_out") else ""
            targets.append(
                {
                    "target": "PDF extraction <= 1 s per 100 pages (linkcheck extract)",
                    "measured": f"{more}{row['seconds_per_100_pages']} s per 100 pages "
                    f"({row['pages']} pages in {more}{row['seconds']} s)",
                    "met": row["seconds_per_100_pages"] <= 1.0 and not row.get("timed_out"),
                }
            )
            alone = row.get("extractor_only_seconds_per_100_pages")
            if alone is not None:
                targets.append(
                    {
                        "target": "PDF extraction <= 1 s per 100 pages (extractor alone)",
                        "measured": f"{alone} s per 100 pages",
                        "met": alone <= 1.0,
                    }
                )
    return targets


def git_commit() -> str:
    """The checkout measured: HEAD, and whether the work tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=30,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "linkcheck"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=30,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return f"{head}{' (+ uncommitted changes in linkcheck/)' if dirty else ''}"


def parse_args() -> argparse.Namespace:
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parser = argparse.ArgumentParser(description="linkcheck vs lychee vs LinkChecker")
    parser.add_argument(
        "--quick", action="store_true", default=quick, help="a fast smoke run (BENCH_QUICK=1)"
    )
    parser.add_argument("--sizes", default=os.environ.get("BENCH_SIZES"))
    parser.add_argument(
        "--latency-ms", type=float, default=float(os.environ.get("BENCH_LATENCY_MS", "50"))
    )
    parser.add_argument(
        "--concurrency", type=int, default=int(os.environ.get("BENCH_CONCURRENCY", "64"))
    )
    parser.add_argument(
        "--tools", default=os.environ.get("BENCH_TOOLS", "linkcheck,lychee,linkchecker")
    )
    parser.add_argument(
        "--skip",
        default=os.environ.get("BENCH_SKIP", ""),
        help="comma list of: check, extract, startup, capacity",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        default=os.environ.get("BENCH_PROFILE", "") not in ("", "0"),
    )
    parser.add_argument(
        "--with-support",
        action="store_true",
        default=os.environ.get("BENCH_SUPPORT", "") not in ("", "0"),
        help="also run linkcheck with its claim-support stage on",
    )
    parser.add_argument(
        "--output", default=os.environ.get("BENCH_OUTPUT", str(RESULTS / "latest.json"))
    )
    args = parser.parse_args()
    args.tools = [t.strip().lower() for t in args.tools.split(",") if t.strip()]
    args.skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    default_sizes = "200" if args.quick else "1000,10000"
    args.sizes = [int(s) for s in (args.sizes or default_sizes).split(",")]
    args.pdf_pages = 50 if args.quick else 500
    args.text_bytes = 500_000 if args.quick else 5_000_000
    args.repeat = 3  # extraction runs are repeated (median) only while they take < 10 s
    args.extract_timeout = float(os.environ.get("BENCH_EXTRACT_TIMEOUT", "150"))
    args.startup_runs = 10
    return args


def compile_linkcheck() -> None:
    """Write linkcheck's bytecode, as installing a wheel does. The checkout is installed in
    editable mode, and where PYTHONDONTWRITEBYTECODE is set (as on the machine these figures
    come from) every run would otherwise compile every module from source again: 0.45 s of a
    small `linkcheck audit`, 0.03 s of `linkcheck --help`."""
    import compileall

    compileall.compile_dir(str(HERE.parent / "linkcheck"), quiet=1)


def main() -> int:
    args = parse_args()
    began = time.perf_counter()
    compile_linkcheck()
    tools = tool_versions()
    for name, tool in tools.items():
        print(f"{name:<12} {tool.version if tool.available else 'NOT AVAILABLE ' + tool.note}")
    results: dict[str, Any] = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "processor": platform.processor(),
        },
        "linkcheck_commit": git_commit(),
        "tools": {name: asdict(tool) for name, tool in tools.items()},
        "config": {
            "latency_ms": args.latency_ms,
            "concurrency": args.concurrency,
            "hosts": HOSTS,
            "host_concurrency": max(1, args.concurrency // HOSTS),
            "sizes": args.sizes,
            "mix": dict(corpus.MIX),
            "ideal_rate": args.concurrency * 1000 / args.latency_ms,
        },
        "check": [],
        "extraction": [],
        "startup": [],
    }
    global WORKDIR
    work = Path(tempfile.mkdtemp(prefix="linkcheck-bench-"))
    work.chmod(0o755)  # LinkChecker reads its inputs as `nobody`
    WORKDIR = work
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the server
    server = None
    try:
        if not {"check", "capacity"} <= args.skip or args.profile:
            server = LatencyServer(args.latency_ms)
            print(
                f"server: {HOSTS} hosts 127.0.0.1-{HOSTS} port {server.port}, "
                f"{args.latency_ms:g} ms latency"
            )
        if server and "capacity" not in args.skip:
            print("\nServer capacity (zero latency)")
            results["server_capacity"] = server_capacity(server, args)
            print(f"  {results['server_capacity']}")
        if server and "check" not in args.skip:
            print(f"\nLink checking (concurrency {args.concurrency})")
            results["check"] = [asdict(r) for r in check_benchmark(server, args, tools, work)]
        if "extract" not in args.skip and tools["linkcheck"].available:
            print("\nExtraction")
            results["extraction"] = extraction_benchmark(args, tools, work)
        if "startup" not in args.skip and tools["linkcheck"].available:
            print(f"\nStart-up ({args.startup_runs} runs each)")
            results["startup"] = startup_benchmark(tools, args.startup_runs)
        if args.profile and server:
            print(f"\nProfile of linkcheck on {max(args.sizes)} links")
            results["profile"] = profile_linkcheck(server, args, work)
    finally:
        if server:
            server.close()
        shutil.rmtree(work, ignore_errors=True)
    results["targets"] = evaluate_targets(results, args.latency_ms)
    results["bench_seconds"] = round(time.perf_counter() - began, 1)
    print_table(results)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\n{results['bench_seconds']} s in all; results in {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
