"""The command line: a thin layer that parses options and wires library calls together."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from linkcheck import __version__
from linkcheck.errors import ExitCode
from linkcheck.models import Format, Report
from linkcheck.pipeline import ArchiveMode
from linkcheck.report import OutputFormat, parse_fail_on

if TYPE_CHECKING:
    from linkcheck.archive import ArchiveConfig
    from linkcheck.check import CheckConfig


app = typer.Typer(
    name="linkcheck",
    help="Citation and link-integrity checker for policy documents.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


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
    FILE`; with no file, the --format (default: the table) goes to standard output."""
    targets: list[tuple[OutputFormat, Path | None]] = []
    plain: list[Path] = []
    for value in values:
        prefix, colon, rest = value.partition(":")
        if colon and rest and prefix.lower() in [str(f) for f in OutputFormat]:
            if OutputFormat(prefix.lower()) not in allowed:
                names = ", ".join(map(str, allowed))
                message = f"{prefix!r} is not a format of this command ({names})"
                raise typer.BadParameter(message, param_hint="--output")
            targets.append((OutputFormat(prefix.lower()), Path(rest)))
        else:
            plain.append(Path(value))
    chosen = output_format or OutputFormat.TABLE
    targets.extend((chosen, path) for path in plain)
    if not targets or (output_format is not None and not plain):
        targets.append((chosen, None))
    return targets


def _read_stdin(paths: list[str]) -> bytes | None:
    return sys.stdin.buffer.read() if "-" in paths else None


def _write_outputs(
    report: Report,
    targets: list[tuple[OutputFormat, Path | None]],
    fail_on: frozenset[str] | None = None,
) -> None:
    from linkcheck.report import DEFAULT_FAIL_ON, render

    for output_format, path in targets:
        if path is None and output_format is OutputFormat.TABLE:
            from rich.console import Console

            from linkcheck.report.table import render_table

            Console(highlight=False).print(render_table(report))
            continue
        text = render(report, output_format, fail_on=fail_on or DEFAULT_FAIL_ON)
        if path is None:
            sys.stdout.write(text)
            continue
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            message = f"cannot write {path}: {error.strerror}"
            raise typer.BadParameter(message, param_hint="--output") from None


def _report_problems(report: Report) -> None:
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
        help="Write the report to FILE (in the --format), or FORMAT:FILE; repeatable.",
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
    bool, typer.Option(help="Ask the Memento TimeTravel aggregator when Wayback has nothing.")
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


@app.command()
def audit(
    paths: PathsArgument,
    format: FormatOption = [],  # noqa: B006
    output: OutputOption = [],  # noqa: B006
    input_format: InputFormatOption = None,
    base_url: BaseUrlOption = None,
    date: DateOption = None,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 20.0,
    concurrency: Annotated[int, typer.Option(help="Requests in flight, all hosts.")] = 32,
    host_concurrency: Annotated[int, typer.Option(help="Requests in flight per host.")] = 2,
    host_interval: Annotated[
        float, typer.Option(help="Minimum seconds between requests to one host.")
    ] = 0.25,
    retries: Annotated[int, typer.Option(help="Retries of a transient failure.")] = 3,
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
    max_body: Annotated[int, typer.Option(help="Bytes of each page read at most.")] = 1_000_000,
    allow_link_local: Annotated[
        bool, typer.Option(help="Allow 169.254.0.0/16 and cloud-metadata addresses.")
    ] = False,
    exclude_private: Annotated[
        bool, typer.Option(help="Skip private addresses (10/8, 172.16/12, 192.168/16).")
    ] = False,
    offline: Annotated[
        bool, typer.Option(help="Do not check links (offline stages only).")
    ] = False,
    fail_on: Annotated[
        str,
        typer.Option(
            help="What fails the run: broken, blocked, redirected, unreachable, not-found, "
            "drifted (comma-separated), or none."
        ),
    ] = "broken",
    archive: Annotated[
        ArchiveMode,
        typer.Option("--archive", help="Snapshot lookups: all links, failed ones, or none."),
    ] = ArchiveMode.ALL,
    wayback_url: WaybackOption = None,
    timetravel: TimeTravelOption = False,
    timetravel_url: TimeTravelUrlOption = None,
    warc: WarcOption = None,
    support: Annotated[
        bool, typer.Option(help="Judge whether each page still supports its claim.")
    ] = True,
    snapshot_cache: Annotated[
        Path | None, typer.Option(help="Keep archive answers for past dates in this file.")
    ] = Path(".linkcheck/snapshots.json"),
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask every server and archive afresh.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show redirects too.")] = False,
) -> None:
    """Extract links, match claims, check every unique URL, find archive snapshots, judge
    whether pages still support their claims, and report."""
    import asyncio

    from rich.console import Console

    from linkcheck.pipeline import AuditOptions, ExtractOptions, audit_documents
    from linkcheck.report import exit_code
    from linkcheck.report.terminal import print_summary, progress_bar

    output_format, document_format = _split_formats(format, input_format, tuple(OutputFormat))
    targets = _outputs(output_format, output, tuple(OutputFormat))
    check_config = (
        None
        if offline
        else _check_config(
            timeout=timeout,
            concurrency=concurrency,
            host_concurrency=host_concurrency,
            host_interval=host_interval,
            retries=retries,
            exclude=exclude,
            include=include,
            user_agent=user_agent,
            ca_bundle=ca_bundle,
            max_body=max_body,
            allow_link_local=allow_link_local,
            exclude_private=exclude_private,
        )
    )
    failure_set = _parse_fail_on(fail_on)
    options = AuditOptions(
        check=check_config,
        archive=_archive_config(wayback_url, timetravel, timetravel_url),
        archive_mode=archive,
        support=support,
        snapshot_cache=None if no_cache else snapshot_cache,
        warc=warc,
    )
    extract_options = ExtractOptions(document_format, base_url, _parse_date(date))
    console = Console(stderr=True, quiet=quiet, highlight=False)
    with progress_bar(console, enabled=not quiet) as progress:
        result = asyncio.run(
            audit_documents(
                paths, extract_options, options, stdin=_read_stdin(paths), progress=progress
            )
        )
    report, offline_run = result.report, result.offline
    _write_outputs(report, targets, failure_set)
    if any(path is not None or f is not OutputFormat.TABLE for f, path in targets):
        print_summary(report, console, verbose=verbose)
    else:
        _report_problems(report)
    for note in result.notes:
        typer.echo(f"linkcheck: {note}", err=True)
    if offline_run:
        typer.echo("linkcheck: could not check: the network is unreachable", err=True)
    raise typer.Exit(exit_code(report, failure_set, offline=offline_run))


def _archive_config(
    wayback_url: str | None, timetravel: bool, timetravel_url: str | None
) -> ArchiveConfig:
    """Endpoints from the options, else the environment, else the public services; keys only
    ever from the environment."""
    from linkcheck.archive import ArchiveConfig

    values: dict[str, Any] = {"use_timetravel": timetravel}
    wayback = wayback_url or os.environ.get("LINKCHECK_WAYBACK_URL")
    travel = timetravel_url or os.environ.get("LINKCHECK_TIMETRAVEL_URL")
    for name, value in (("--wayback-url", wayback), ("--timetravel-url", travel)):
        if value and not value.lower().startswith(("http://", "https://")):
            raise typer.BadParameter(f"{value!r} is not an http(s) URL", param_hint=name)
    if wayback:
        values["wayback_url"] = wayback.rstrip("/")
    if travel:
        values["timetravel_url"] = travel.rstrip("/")
    return ArchiveConfig(**values).with_keys_from(os.environ)


def _parse_fail_on(text: str) -> frozenset[str]:
    try:
        return parse_fail_on(text)
    except ValueError as error:
        raise typer.BadParameter(
            str(error).removeprefix("--fail-on: "), param_hint="--fail-on"
        ) from None


def _check_config(**options: Any) -> CheckConfig:
    from linkcheck.check import CheckConfig

    values = {
        "timeout": options["timeout"],
        "concurrency": options["concurrency"],
        "host_concurrency": options["host_concurrency"],
        "host_interval": options["host_interval"],
        "retries": options["retries"],
        "exclude": tuple(options["exclude"]),
        "include": tuple(options["include"]),
        "ca_bundle": str(options["ca_bundle"]) if options["ca_bundle"] else None,
        "max_body_bytes": options["max_body"],
        "allow_link_local": options["allow_link_local"],
        "exclude_private": options["exclude_private"],
    }
    if options["user_agent"]:
        values["user_agent"] = options["user_agent"]
    if values["ca_bundle"] and not Path(values["ca_bundle"]).is_file():
        raise typer.BadParameter(f"{values['ca_bundle']}: no such file", param_hint="--ca-bundle")
    try:
        return CheckConfig(**values)
    except (ValueError, re.error) as error:
        raise typer.BadParameter(str(error)) from None


def main(argv: list[str] | None = None) -> int:
    """Entry point: usage errors are one line on stderr and exit code 2, never a traceback."""
    # pypdf logs repairs of damaged files ("EOF marker not found") as warnings; a PDF that
    # cannot be read is reported once, as an input problem, instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="linkcheck", standalone_mode=False)
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except typer.Abort:
        typer.echo("linkcheck: aborted", err=True)
        return 130
    except BrokenPipeError:
        return int(ExitCode.OK)
    except Exception as error:
        # Typer's usage errors (bad option, missing argument) carry a message and exit code.
        format_message = getattr(error, "format_message", None)
        if format_message is None or not hasattr(error, "exit_code"):
            raise
        context = getattr(error, "ctx", None)
        if type(error).__name__ == "NoArgsIsHelpError" and context is not None:
            typer.echo(context.get_help())
        else:
            typer.echo(f"linkcheck: error: {format_message()}", err=True)
        return int(ExitCode.INPUT)
    return int(result) if isinstance(result, int) else int(ExitCode.OK)


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
