"""The `linkcheck` command: `--version` is answered before the command line is built.

Building the typer app (importing typer and click, and reading every command's options) is
most of a bare start-up, and `linkcheck --version` needs none of it.
"""

from __future__ import annotations

import sys


def run() -> None:
    if sys.argv[1:] == ["--version"]:
        from linkcheck import __version__

        sys.stdout.write(f"linkcheck {__version__}\n")
        return
    from linkcheck.cli import run as run_cli

    run_cli()
