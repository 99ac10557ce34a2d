"""The command line: a thin layer that parses options and wires library calls together.

No `from __future__ import annotations` here: typer reads every command's annotations on
each start, and evaluating them from strings was a tenth of `linkcheck --help`. Names that are
only imported for type checking are quoted instead.
"""

import contextlib
import datetime as dt
import os
import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from linkcheck import __version__
from linkcheck.errors import ExitCode
from linkcheck.kinds import ArchiveMode, Format
from linkcheck.report import DEFAULT_FAIL_ON, OutputFormat, parse_fail_on

if TYPE_CHECKING:
    from collections.abc import Coroutine, Iterator
    from concurrent.futures import Future

    from rich.console import Console

    from linkcheck.archive import ArchiveConfig
    from linkcheck.cache import CheckStore
    from linkcheck.check import CheckConfig
    from linkcheck.config import Settings
    from linkcheck.models import Report
    from linkcheck.report.json import JsonAhead
    from linkcheck.report.terminal import CheckProgress


T = TypeVar("T")

app = typer.Typer(
    name="linkcheck",
    help="Citation and link-integrity checker for policy documents.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class UsageFailure(Exception):
    """A problem with the run's settings, reported as one line as it is (exit code 2)."""


def _version(value: bool) -> None:
    if value:
        typer.echo(f"linkcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Citation and link-integrity checker for policy documents."""
    import logging

    from linkcheck.machine import tune_collector

    # pypdf logs repairs of damaged files ("EOF marker not found") as warnings; a PDF that
    # cannot be read is reported once, as an input problem, instead. (Set here, before any
    # command runs, rather than on every start: `--help` does not need logging.)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    tune_collector()


def _stderr_console(quiet: bool = False) -> "Console":
    from rich.console import Console

    # Soft wrap: a long URL or path stays on one line in a CI log (greppable, clickable)
    # rather than being cut at the 80 columns rich assumes when stderr is not a terminal.
    return Console(stderr=True, quiet=quiet, highlight=False, soft_wrap=True)


def _progress_bar(
    console: "Console | None",
) -> "contextlib.AbstractContextManager[CheckProgress | None]":
    if console is None:  # quiet
        return contextlib.nullcontext()
    from linkcheck.report.terminal import progress_bar

    return progress_bar(console)


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date (use YYYY-MM-DD)", param_hint="--date"
        ) from None


EXTRACT_FORMATS = (OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.CSV)


def _split_formats(
    values: list[str], input_format: Format | None, allowed: tuple[OutputFormat, ...]
) -> tuple[OutputFormat | None, Format | None]:
    """The report format named by --format and, for `extract`, a document format for stdin
    (the two sets of names do not overlap there); `audit` takes that from --input-format."""
    output: OutputFormat | None = None
    document_format = input_format
    document_names = [str(f) for f in Format] if allowed == EXTRACT_FORMATS else []
    for value in values:
        lowered = value.lower()
        if lowered in [str(f) for f in allowed]:
            output = OutputFormat(lowered)
        elif lowered in document_names:
            document_format = Format(lowered)
        else:
            names = ", ".join([*map(str, allowed), *document_names])
            raise typer.BadParameter(f"{value!r} (choose from {names})", param_hint="--format")
    return output, document_format


def _outputs(
    output_format: OutputFormat | None, values: list[str], allowed: tuple[OutputFormat, ...]
) -> list[tuple[OutputFormat, Path | None]]:
    """Where each report goes: `--output FORMAT:FILE` (repeatable), or `--format F --output
    FILE`; FILE `-` is standard output, as is no file: the --format (default: the table)."""
    targets: list[tuple[OutputFormat, Path | None]] = []
    plain: list[Path | None] = []
    for value in values:
        prefix, colon, rest = value.partition(":")
        if colon and rest and prefix.lower() in [str(f) for f in OutputFormat]:
            if OutputFormat(prefix.lower()) not in allowed:
                names = ", ".join(map(str, allowed))
                message = f"{prefix!r} is not a format of this command ({names})"
                raise typer.BadParameter(message, param_hint="--output")
            targets.append((OutputFormat(prefix.lower()), None if rest == "-" else Path(rest)))
        else:
            plain.append(None if value == "-" else Path(value))
    chosen = output_format or OutputFormat.TABLE
    targets.extend((chosen, path) for path in plain)
    standard_output = not targets or (output_format is not None and not plain)
    if standard_output and (chosen, None) not in targets:  # (`-f csv -o csv:-`: once)
        targets.append((chosen, None))
    return targets


def _read_stdin(paths: list[str]) -> bytes | None:
    return sys.stdin.buffer.read() if "-" in paths else None


def _write_outputs(
    report: "Report",
    targets: list[tuple[OutputFormat, Path | None]],
    fail_on: frozenset[str] | None = None,
    ahead: "JsonAhead | None" = None,
) -> None:
    from linkcheck.report import DEFAULT_FAIL_ON, render_chunks

    for output_format, path in targets:
        if path is None and output_format is OutputFormat.TABLE:
            from rich.console import Console

            from linkcheck.report.table import render_table

            Console(highlight=False, soft_wrap=True).print(render_table(report))
            continue
        if output_format is OutputFormat.JSON and ahead is not None:
            from linkcheck.report.json import json_chunks

            chunks = json_chunks(report, ahead)
        else:
            chunks = render_chunks(report, output_format, fail_on=fail_on or DEFAULT_FAIL_ON)
        if path is None:
            sys.stdout.writelines(chunks)
            continue
        try:
            _write_whole(path, chunks)
        except OSError as error:
            message = f"cannot write {path}: {error.strerror}"
            raise typer.BadParameter(message, param_hint="--output") from None


def _write_whole(path: Path, chunks: Iterable[str]) -> None:
    """Write beside `path`, then rename: a run stopped while writing leaves the previous
    report whole, never half of a new one. A device or pipe (/dev/null, /dev/stdout) is
    written as it is."""
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as file:
            file.writelines(chunks)
        return
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("w", encoding="utf-8") as file:
            file.writelines(chunks)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _report_problems(report: "Report") -> None:
    for problem in report.problems:
        typer.echo(f"linkcheck: error: {problem.message}", err=True)


PathsArgument = Annotated[
    list[str],
    typer.Argument(help="Documents, directories, globs, or - for stdin.", show_default=False),
]
FormatOption = Annotated[
    list[str],
    typer.Option(
        "--format",
        "-f",
        help="Report format: table, json, csv. For stdin, also the document's format: "
        "text, markdown, html, pdf, docx.",
    ),
]
OutputOption = Annotated[
    list[str],
    typer.Option(
        "--output",
        "-o",
        help="Write the report to FILE (in the --format), or FORMAT:FILE; repeatable; "
        "FILE - is standard output.",
    ),
]
InputFormatOption = Annotated[
    Format | None,
    typer.Option("--input-format", help="Read every document as this format."),
]
BaseUrlOption = Annotated[
    str | None, typer.Option("--base-url", help="Resolve relative links against this URL.")
]
WaybackOption = Annotated[
    str | None,
    typer.Option(
        help="Wayback Machine base URL (also LINKCHECK_WAYBACK_URL); /cdx/search/cdx, /web/ "
        "and /save/ are found under it. Default https://web.archive.org.",
    ),
]
TimeTravelOption = Annotated[
    bool | None,
    typer.Option(help="Ask the Memento TimeTravel aggregator when Wayback has nothing."),
]
TimeTravelUrlOption = Annotated[
    str | None, typer.Option(help="TimeTravel base URL (also LINKCHECK_TIMETRAVEL_URL).")
]
WarcOption = Annotated[
    Path | None, typer.Option(help="Write every page fetched as WARC/1.1 records to FILE.")
]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="The document's date (YYYY-MM-DD), overriding its metadata."),
]


@app.command()
def extract(
    paths: PathsArgument,
    format: FormatOption = [],  # noqa: B006 - typer reads the default, never mutates it
    output: OutputOption = [],  # noqa: B006
    input_format: InputFormatOption = None,
    base_url: BaseUrlOption = None,
    date: DateOption = None,
) -> None:
    """Every link of the documents, where it occurs, and the claim it supports. No network."""
    from linkcheck.api import extract as run_extract

    output_format, document_format = _split_formats(format, input_format, EXTRACT_FORMATS)
    targets = _outputs(output_format, output, EXTRACT_FORMATS)
    report = run_extract(
        paths,
        input_format=document_format,
        base_url=base_url,
        date=_parse_date(date),
        stdin=_read_stdin(paths),
    )
    _write_outputs(report, targets)
    _report_problems(report)
    raise typer.Exit(ExitCode.INPUT if report.problems else ExitCode.OK)


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Configuration file (default: linkcheck.toml, or [tool.linkcheck] in "
        "pyproject.toml, found from the current directory up).",
    ),
]


@app.command()
def audit(
    ctx: typer.Context,
    paths: PathsArgument,
    format: FormatOption = [],  # noqa: B006
    output: OutputOption = [],  # noqa: B006
    input_format: InputFormatOption = None,
    base_url: BaseUrlOption = None,
    date: DateOption = None,
    config: ConfigOption = None,
    timeout: Annotated[float | None, typer.Option(help="Seconds per request [20].")] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Requests in flight, all hosts [32].")
    ] = None,
    host_concurrency: Annotated[
        int | None, typer.Option(help="Requests in flight per host [2].")
    ] = None,
    host_interval: Annotated[
        float | None, typer.Option(help="Minimum seconds between requests to one host [0.25].")
    ] = None,
    retries: Annotated[int | None, typer.Option(help="Retries of a transient failure [3].")] = None,
    exclude: Annotated[
        list[str], typer.Option(help="Skip URLs matching this regex (repeatable).")
    ] = [],  # noqa: B006
    include: Annotated[
        list[str], typer.Option(help="Check URLs matching this regex even if excluded.")
    ] = [],  # noqa: B006
    user_agent: Annotated[str | None, typer.Option(help="User-Agent header.")] = None,
    ca_bundle: Annotated[
        Path | None, typer.Option(help="Extra CA certificates to trust (PEM).")
    ] = None,
    max_body: Annotated[
        int | None, typer.Option(help="Bytes of each page read at most [1000000].")
    ] = None,
    allow_link_local: Annotated[
        bool | None, typer.Option(help="Allow 169.254.0.0/16 and cloud-metadata addresses.")
    ] = None,
    exclude_private: Annotated[
        bool | None, typer.Option(help="Skip private addresses (10/8, 172.16/12, 192.168/16).")
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Processes that check links, whole hosts each [one per core, from 1000 links"
            " or 50 pages to judge].",
        ),
    ] = None,
    offline: Annotated[
        bool, typer.Option(help="Do not check links (offline stages only).")
    ] = False,
    fail_on: Annotated[
        str | None,
        typer.Option(
            help="What fails the run: broken, blocked, redirected, unreachable, not-found, "
            "drifted (comma-separated), or none [broken]."
        ),
    ] = None,
    fail_after: Annotated[
        int | None,
        typer.Option(help="History rule: fail a link only after N consecutive failed checks."),
    ] = None,
    fail_after_days: Annotated[
        float | None, typer.Option(help="… spanning at least this many days.")
    ] = None,
    archive: Annotated[
        ArchiveMode | None,
        typer.Option("--archive", help="Snapshot lookups: all links, failed ones, or none [all]."),
    ] = None,
    wayback_url: WaybackOption = None,
    timetravel: TimeTravelOption = None,
    timetravel_url: TimeTravelUrlOption = None,
    warc: WarcOption = None,
    support: Annotated[
        bool | None, typer.Option(help="Judge whether each page still supports its claim [yes].")
    ] = None,
    cache_path: Annotated[
        Path | None, typer.Option("--cache", help="Check database [.linkcheck/cache.sqlite3].")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Check everything afresh; record nothing.")
    ] = False,
    shard: Annotated[
        str | None, typer.Option(help="Check only shard K of N of the unique URLs (K/N).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show redirects too.")] = False,
) -> None:
    """Extract links, match claims, check every unique URL, find archive snapshots, judge
    whether pages still support their claims, and report."""

    from linkcheck.pipeline import (
        AuditOptions,
        ExtractOptions,
        audit_documents,
        run_sync,
        start_audit,
    )
    from linkcheck.report import exit_code

    settings = _settings(config)
    output_format, document_format = _split_formats(format, input_format, tuple(OutputFormat))
    targets = _outputs(output_format, output, tuple(OutputFormat))
    if not output and output_format is None and settings.outputs:
        targets = [(OutputFormat(t.format), t.path) for t in settings.outputs]
    check_flags = {
        "timeout": timeout,
        "concurrency": concurrency,
        "host_concurrency": host_concurrency,
        "host_interval": host_interval,
        "retries": retries,
        "exclude": tuple(exclude),
        "include": tuple(include),
        "user_agent": user_agent,
        "ca_bundle": str(ca_bundle) if ca_bundle else None,
        "max_body_bytes": max_body,
        "allow_link_local": allow_link_local,
        "exclude_private": exclude_private,
        "processes": processes,
    }
    check_config = None if offline else _check_config(settings, check_flags)
    failure_set = _parse_fail_on(fail_on) if fail_on is not None else settings.fail_on
    failure_set = failure_set if failure_set is not None else DEFAULT_FAIL_ON
    cache = settings.cache_options(enabled=False if no_cache else None, path=cache_path)
    rule = settings.history_rule(checks=fail_after, days=fail_after_days)
    archive_file = settings.archive
    options = AuditOptions(
        check=check_config,
        archive=_archive_config(settings, wayback_url, timetravel, timetravel_url),
        archive_mode=archive or ArchiveMode(archive_file.mode or "all"),
        support=support if support is not None else settings.support.enabled is not False,
        semantic=bool(settings.support.semantic),
        snapshot_cache=cache.path.with_name("snapshots.json") if cache.enabled else None,
        warc=warc or archive_file.warc,
        ttl_ok=cache.ttl_ok,
        ttl_failed=cache.ttl_failed,
        fail_after_checks=rule.checks,
        fail_after_days=rule.days,
        shard=_parse_shard(shard),
    )
    extract_options = ExtractOptions(
        document_format, base_url or settings.base_url, _parse_date(date) or settings.date
    )
    # Quiet prints no progress and no summary: rich is not even imported (50 ms of start-up).
    console = None if quiet else _stderr_console()
    store_path = cache.path if cache.enabled and check_config else None
    # Most of the JSON report is rendered while the links are checked (unless claims are
    # judged: that changes the occurrences).
    ahead = None
    if not options.support and any(f is OutputFormat.JSON for f, _ in targets):
        from linkcheck.report.json import JsonAhead

        ahead = JsonAhead()

    documents = _documents(paths, settings)
    # First, while no other thread runs: checking processes may be forked (see start_audit).
    with start_audit(documents, extract_options, options, stdin=_read_stdin(paths)) as start:
        trust = _trust_check() if check_config is not None else None
        with _check_store(store_path) as store, _progress_bar(console) as progress:
            result = run_sync(
                _unless_untrusted(
                    audit_documents(
                        documents,
                        extract_options,
                        options,
                        progress=progress,
                        store=store,
                        assembled=ahead.assembled if ahead else None,
                        checked=ahead.checked if ahead else None,
                        start=start,
                    ),
                    trust,
                )
            )
    report, offline_run = result.report, result.offline
    _write_outputs(report, targets, failure_set, ahead)
    if any(path is not None or f is not OutputFormat.TABLE for f, path in targets):
        if console is not None:
            from linkcheck.report.terminal import print_summary

            print_summary(report, console, verbose=verbose)
    else:
        _report_problems(report)
    for note in result.notes:
        typer.echo(f"linkcheck: {note}", err=True)
    if offline_run:
        typer.echo("linkcheck: could not check: the network is unreachable", err=True)
    _keep_for_exit(ctx, result, ahead)
    raise typer.Exit(exit_code(report, failure_set, offline=offline_run))


def _keep_for_exit(ctx: typer.Context, *objects: object) -> None:
    """The finished run's objects, handed to the caller of `main` that asked for them: left
    here, they would be freed one by one as the command returns (16 ms for a 10,000-link
    report and what it was read from)."""
    if isinstance(ctx.obj, list):
        ctx.obj.extend(objects)


@app.command(name="archive")
def archive_command(
    paths: PathsArgument,
    out_dir: Annotated[
        Path, typer.Option("--out-dir", help="Where the manifest and archived copies go.")
    ] = Path("archive-output"),
    manifest: Annotated[
        Path | None,
        typer.Option(help="Resumable manifest (JSON) [OUT_DIR/manifest.json]; CSV beside it."),
    ] = None,
    save: Annotated[
        bool, typer.Option(help="Ask Save Page Now for links without a recent capture.")
    ] = True,
    warc: WarcOption = None,
    wayback_url: WaybackOption = None,
    timetravel: TimeTravelOption = None,
    timetravel_url: TimeTravelUrlOption = None,
    input_format: InputFormatOption = None,
    base_url: BaseUrlOption = None,
    date: DateOption = None,
    config: ConfigOption = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
) -> None:
    """Snapshot generation: the capture nearest each document's date, new captures for links
    lacking a recent one (resumable), a manifest, and an archived copy of each document."""

    from linkcheck.api import extract as run_extract
    from linkcheck.archive import Manifest, ManifestError
    from linkcheck.archive.copies import write_archived_copies
    from linkcheck.pipeline import archive_report, run_sync
    from linkcheck.report.terminal import print_archive_summary

    settings = _settings(config)
    manifest_path = manifest or settings.archive.manifest or out_dir / "manifest.json"
    try:
        ledger = Manifest(manifest_path)
    except (ManifestError, OSError) as error:
        raise UsageFailure(f"{manifest_path}: {error}") from None
    report = run_extract(
        _documents(paths, settings),
        input_format=input_format,
        base_url=base_url or settings.base_url,
        date=_parse_date(date) or settings.date,
        stdin=_read_stdin(paths),
    )
    archive_config = _archive_config(settings, wayback_url, timetravel, timetravel_url)
    trust = _trust_check()
    run = run_sync(
        _unless_untrusted(
            archive_report(
                report,
                archive_config,
                ledger,
                save=save,
                check=_check_config(settings, {}),
                warc=warc or settings.archive.warc,
            ),
            trust,
        )
    )
    ledger.save()
    ledger.export_csv(manifest_path.with_suffix(".csv"))
    copies = write_archived_copies(run.report, out_dir)
    console = _stderr_console(quiet)
    print_archive_summary(run.report, run.outcomes, copies, manifest_path, console)
    _report_problems(run.report)
    for note in run.notes:
        typer.echo(f"linkcheck: {note}", err=True)
    raise typer.Exit(ExitCode.INPUT if run.report.problems else ExitCode.OK)


@app.command()
def merge(
    reports: Annotated[
        list[Path], typer.Argument(help="JSON reports of the shards.", show_default=False)
    ],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the merged JSON here.")
    ] = None,
) -> None:
    """Combine the JSON reports of a sharded run (`audit --shard K/N`) into one."""
    import json

    from linkcheck.shard import merge_reports

    loaded = []
    for path in reports:
        try:
            loaded.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            raise typer.BadParameter(f"{path}: {error}", param_hint="REPORTS") from None
    try:
        merged = merge_reports(loaded, names=[str(path) for path in reports])
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="REPORTS") from None
    text = json.dumps(merged, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _settings(path: Path | None) -> "Settings":
    from linkcheck.config import ConfigError, load_settings

    try:
        return load_settings(Path.cwd(), path)
    except ConfigError as error:
        raise UsageFailure(error.message) from None


def _documents(paths: list[str], settings: "Settings") -> list[str]:
    """The paths given, less the documents the configuration excludes."""
    return [p for p in paths if p == "-" or not settings.is_excluded_document(p)]


@contextlib.contextmanager
def _check_store(path: Path | None) -> "Iterator[CheckStore | None]":
    if path is None:
        yield None
        return
    import sqlite3

    from linkcheck.cache import CheckStore

    try:
        store = CheckStore(path)
    except (OSError, sqlite3.Error) as error:
        raise typer.BadParameter(f"cannot open {path}: {error}", param_hint="--cache") from None
    with store:
        yield store
        store.purge(older_than=90 * 86400.0)


def _parse_shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    from linkcheck.shard import parse_shard

    try:
        return parse_shard(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--shard") from None


def _archive_config(
    settings: "Settings",
    wayback_url: str | None,
    timetravel: bool | None,
    timetravel_url: str | None,
) -> "ArchiveConfig":
    """Endpoints from the options, else the environment, else the configuration file, else
    the public services; keys only ever from the environment."""
    import dataclasses

    from linkcheck.archive import ArchiveConfig

    values: dict[str, Any] = settings.archive.config_kwargs()
    if timetravel is not None:
        values["use_timetravel"] = timetravel
    wayback = wayback_url or os.environ.get("LINKCHECK_WAYBACK_URL")
    travel = timetravel_url or os.environ.get("LINKCHECK_TIMETRAVEL_URL")
    for name, value in (("--wayback-url", wayback), ("--timetravel-url", travel)):
        if value and not value.lower().startswith(("http://", "https://")):
            raise typer.BadParameter(f"{value!r} is not an http(s) URL", param_hint=name)
    if wayback:
        values["wayback_url"] = wayback
    if travel:
        values["timetravel_url"] = travel
    for key in ("wayback_url", "timetravel_url"):
        if key in values:
            values[key] = str(values[key]).rstrip("/")
    return dataclasses.replace(ArchiveConfig(), **values).with_keys_from(os.environ)


def _parse_fail_on(text: str) -> frozenset[str]:
    try:
        return parse_fail_on(text)
    except ValueError as error:
        message = str(error).removeprefix("--fail-on: ")
        raise typer.BadParameter(message, param_hint="--fail-on") from None


def _check_config(settings: "Settings", flags: dict[str, Any]) -> "CheckConfig":
    """Defaults < configuration file < command-line flags."""
    from linkcheck.check.config import ca_bundle_problem

    bundle = flags.get("ca_bundle")
    problem = ca_bundle_problem(bundle) if bundle else None
    if problem is not None:
        raise typer.BadParameter(f"{bundle}: {problem}", param_hint="--ca-bundle")
    try:
        return settings.check_config(flags)
    except (ValueError, re.error) as error:
        raise typer.BadParameter(str(error)) from None


def _trust_check() -> "Future[str | None] | None":
    """SSL_CERT_FILE (trusted instead of certifi's bundle, as httpx does: make_ssl_context)
    loaded in a thread of its own while the run starts (OpenSSL lets go of the GIL): a
    system-wide bundle is 30-50 ms that the first request need not wait for. None where the
    variable names no file."""
    path = os.environ.get("SSL_CERT_FILE")
    if not path or not os.path.exists(path):
        return None
    from concurrent.futures import ThreadPoolExecutor

    from linkcheck.check.config import ca_bundle_problem

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="linkcheck-trust")
    try:
        return pool.submit(ca_bundle_problem, path)
    finally:
        pool.shutdown(wait=False)  # its one thread ends with the check


async def _unless_untrusted(
    work: "Coroutine[Any, Any, T]", trust: "Future[str | None] | None"
) -> T:
    """`work`, stopped with a one-line error if SSL_CERT_FILE holds no CA certificate (every
    HTTPS link would fail its TLS handshake)."""
    if trust is None:
        return await work
    import asyncio

    task = asyncio.ensure_future(work)
    problem = await asyncio.wrap_future(trust)
    if problem is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        raise UsageFailure(f"SSL_CERT_FILE={os.environ.get('SSL_CERT_FILE')}: {problem}")
    return await task


def main(argv: list[str] | None = None, *, keep: list[object] | None = None) -> int:
    """Entry point: usage errors are one line on stderr and exit code 2, never a traceback.
    `keep`: where a command puts the large objects of its finished run, for a caller that
    ends the process without freeing them (see `run`)."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="linkcheck", standalone_mode=False, obj=keep)
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except typer.Abort:
        typer.echo("linkcheck: aborted", err=True)
        return 130
    except BrokenPipeError:
        return int(ExitCode.OK)
    except UsageFailure as error:
        typer.echo(f"linkcheck: error: {error}", err=True)
        return int(ExitCode.INPUT)
    except Exception as error:
        # Typer's usage errors (bad option, missing argument) carry a message and exit code.
        format_message = getattr(error, "format_message", None)
        if format_message is None or not hasattr(error, "exit_code"):
            if os.environ.get("LINKCHECK_DEBUG"):
                raise
            # A bug, not bad input: one line, and a code of its own (BSD's EX_SOFTWARE).
            typer.echo(f"linkcheck: internal error: {type(error).__name__}: {error}", err=True)
            return int(ExitCode.INTERNAL)
        context = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError" and context is not None:
            typer.echo(context.get_help())
        else:
            typer.echo(f"linkcheck: error: {format_message()}", err=True)
        return int(ExitCode.INPUT)
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


def run() -> None:
    """The installed command: `main`, then the process ends at once. Everything is written
    and closed by then, so the interpreter's teardown (a large report's objects, every module:
    20-30 ms after a 10,000-link audit) is skipped, as a checking process skips its own. The
    run's objects are kept, not freed one by one as `main` returns (another 15-30 ms)."""
    kept: list[object] = []
    code = main(keep=kept)
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:  # (None: the process was started with it closed)
            with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
                stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
