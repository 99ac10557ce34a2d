"""The command line: a thin layer that parses options and wires library calls together."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from linkcheck import __version__
from linkcheck.errors import ExitCode
from linkcheck.models import Format, Report


class OutputFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


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


def _split_formats(
    values: list[str], input_format: Format | None
) -> tuple[OutputFormat, Format | None]:
    """--format names the report format; for stdin it may also name the document's format
    (the two sets of names do not overlap), as may --input-format."""
    output = OutputFormat.TABLE
    document_format = input_format
    for value in values:
        lowered = value.lower()
        if lowered in OutputFormat.__members__.values():
            output = OutputFormat(lowered)
        elif lowered in Format.__members__.values():
            document_format = Format(lowered)
        else:
            names = ", ".join([*OutputFormat, *Format])
            raise typer.BadParameter(f"{value!r} (choose from {names})", param_hint="--format")
    return output, document_format


def _read_stdin(paths: list[str]) -> bytes | None:
    return sys.stdin.buffer.read() if "-" in paths else None


def _write(report: Report, output_format: OutputFormat, output: Path | None) -> None:
    if output_format is OutputFormat.JSON:
        from linkcheck.report.json import render_json

        text = render_json(report)
    elif output_format is OutputFormat.CSV:
        from linkcheck.report.csv import render_csv

        text = render_csv(report)
    else:
        from rich.console import Console

        from linkcheck.report.table import render_table

        console = Console(
            file=output.open("w", encoding="utf-8") if output else None,
            width=160 if output else None,
        )
        console.print(render_table(report))
        if output:
            console.file.close()
        return
    if output is None:
        sys.stdout.write(text)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            message = f"cannot write {output}: {error.strerror}"
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
    Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
]
InputFormatOption = Annotated[
    Format | None,
    typer.Option("--input-format", help="Read every document as this format."),
]
BaseUrlOption = Annotated[
    str | None, typer.Option("--base-url", help="Resolve relative links against this URL.")
]
DateOption = Annotated[
    str | None,
    typer.Option("--date", help="The document's date (YYYY-MM-DD), overriding its metadata."),
]


@app.command()
def extract(
    paths: PathsArgument,
    format: FormatOption = [],  # noqa: B006 - typer reads the default, never mutates it
    output: OutputOption = None,
    input_format: InputFormatOption = None,
    base_url: BaseUrlOption = None,
    date: DateOption = None,
) -> None:
    """Every link of the documents, where it occurs, and the claim it supports. No network."""
    from linkcheck.api import extract as run_extract

    output_format, document_format = _split_formats(format, input_format)
    report = run_extract(
        paths,
        input_format=document_format,
        base_url=base_url,
        date=_parse_date(date),
        stdin=_read_stdin(paths),
    )
    _write(report, output_format, output)
    _report_problems(report)
    raise typer.Exit(ExitCode.INPUT if report.problems else ExitCode.OK)


@app.command()
def audit(
    paths: PathsArgument,
    format: FormatOption = [],  # noqa: B006
    output: OutputOption = None,
    input_format: InputFormatOption = None,
    base_url: BaseUrlOption = None,
    date: DateOption = None,
) -> None:
    """Extract, match claims, and report every link of the documents."""
    from linkcheck.api import extract as run_extract

    output_format, document_format = _split_formats(format, input_format)
    report = run_extract(
        paths,
        input_format=document_format,
        base_url=base_url,
        date=_parse_date(date),
        stdin=_read_stdin(paths),
    )
    _write(report, output_format, output)
    _report_problems(report)
    raise typer.Exit(ExitCode.INPUT if report.problems else ExitCode.OK)


def main(argv: list[str] | None = None) -> int:
    """Entry point: usage errors are one line on stderr and exit code 2, never a traceback."""
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
