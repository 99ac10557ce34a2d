"""The command line: outputs, exit codes and one-line errors."""

from __future__ import annotations

import gc
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from servers.scenario import Scenario

from linkcheck.cli import main

SEED = Path(__file__).resolve().parent.parent / "seeds" / "us-mexico-relations-brief.txt"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_extract_json_has_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["extract", str(SEED), "--format", "json"], capsys)
    assert code == 0 and err == ""
    report = json.loads(out)
    assert report["schema_version"] == 1
    assert [d["source"] for d in report["documents"]] == [str(SEED)]
    assert len(report["links"]) == 21
    link = report["links"][1]
    assert set(link) >= {"url", "status", "reason", "occurrences", "flags"}
    occurrence = link["occurrences"][0]
    assert set(occurrence) == {
        "document",
        "page",
        "line",
        "column",
        "anchor_text",
        "kind",
        "claim",
        "support",
    }
    assert occurrence["support"] is None and link["archive"] is None
    assert set(occurrence["claim"]) == {"id", "text", "confidence", "method"}
    assert all(item["status"] == "unchecked" for item in report["links"])
    several = [c["text"] for c in report["claims"] if "carried-by-several-links" in c["flags"]]
    assert any(text.startswith("Letters to the Administration") for text in several)


def test_extract_writes_csv_to_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.csv"
    code, out, _ = run(["extract", str(SEED), "-f", "csv", "-o", str(target)], capsys)
    assert code == 0 and out == ""
    rows = target.read_text().splitlines()
    assert rows[0].startswith("url,status,reason")
    assert len(rows) == 1 + 22


@pytest.mark.parametrize("output", ["-", "csv:-"])
def test_an_output_of_dash_is_standard_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, output: str
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(["extract", str(SEED), "-f", "csv", "-o", output], capsys)
    assert code == 0
    assert out.splitlines()[0].startswith("url,status,reason") and len(out.splitlines()) == 23
    assert list(tmp_path.iterdir()) == []  # no file called "-"


def test_missing_file_is_one_line_and_exit_2_while_other_documents_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.md"
    good.write_text("See [the data](https://example.org/data).\n")
    code, out, err = run(["extract", str(good), str(tmp_path / "gone.txt"), "-f", "json"], capsys)
    assert code == 2
    assert err.strip().splitlines() == [f"linkcheck: error: {tmp_path / 'gone.txt'}: no such file"]
    report = json.loads(out)
    assert [d["source"] for d in report["documents"]] == [str(good)]
    assert report["problems"][0]["code"] == "missing"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extract", "x.txt", "--date", "2022-13-40"], "--date"),
        (["extract", "x.txt", "--format", "xml"], "--format"),
        (["extract"], "Missing argument"),
        (["frobnicate"], "No such command"),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(args, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("linkcheck: error:") and message in lines[0]


def test_binary_junk_is_an_input_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 50)
    code, _, err = run(["extract", str(junk)], capsys)
    assert code == 2
    assert err.strip() == f"linkcheck: error: {junk}: binary data, not a text document"


def test_directories_are_walked_recursively(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.md").write_text("[x](https://example.org/one)\n")
    (tmp_path / "two.html").write_text('<a href="https://example.org/two">two</a>')
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    code, out, _ = run(["extract", str(tmp_path), "-f", "json"], capsys)
    assert code == 0
    report = json.loads(out)
    assert sorted(link["url"] for link in report["links"]) == [
        "https://example.org/one",
        "https://example.org/two",
    ]


def test_glob_patterns_are_expanded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("a.txt", "b.txt", "c.md"):
        (tmp_path / name).write_text(f"See https://example.org/{name} now.\n")
    code, out, _ = run(["extract", str(tmp_path / "*.txt"), "-f", "json"], capsys)
    assert code == 0
    assert len(json.loads(out)["documents"]) == 2


def test_stdin_takes_its_format_from_format(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        sys, "stdin", io.TextIOWrapper(io.BytesIO(b"[data](https://example.org/d)\n"))
    )
    code, out, _ = run(["extract", "-", "--format", "markdown", "--format", "json"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["documents"][0]["format"] == "markdown"
    assert report["links"][0]["occurrences"][0]["anchor_text"] == "data"


def test_skipped_schemes_are_reported_never_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "d.md"
    doc.write_text("[mail](mailto:a@example.org) [call](tel:+123) [web](https://example.org)\n")
    _, out, _ = run(["extract", str(doc), "-f", "json"], capsys)
    links = {link["url"]: link for link in json.loads(out)["links"]}
    assert links["mailto:a@example.org"]["status"] == "skipped"
    assert links["mailto:a@example.org"]["reason"] == "unsupported-scheme"
    assert links["tel:+123"]["status"] == "skipped"
    assert links["https://example.org/"]["status"] == "unchecked"


def test_audit_on_the_seed_runs_the_offline_stages(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["audit", str(SEED), "--format", "json", "--offline"], capsys)
    assert code == 0
    assert len(json.loads(out)["links"]) == 21


def test_a_bad_ca_bundle_is_one_line_and_exit_code_2_before_any_request(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    ca_bundle: str,
    servers: Scenario,
) -> None:
    # It used to end the run with "internal error: SSLError" (exit 70) once the client was made.
    document = tmp_path / "brief.md"
    document.write_text(f"See [the data]({servers.url('a', '/ok')}).\n", encoding="utf-8")
    notes = tmp_path / "notes.pem"
    notes.write_text("not a certificate\n", encoding="utf-8")
    audit = ["audit", str(document), "-q", "--archive", "none", "--no-cache", "-f", "json"]
    code, _, err = run([*audit, "--ca-bundle", str(notes)], capsys)
    assert (code, err) == (
        2,
        f"linkcheck: error: Invalid value for --ca-bundle: {notes}: no PEM certificate in it\n",
    )
    # A bundle is loaded as the checker will load it: the markers of a certificate are not
    # enough.
    notes.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    code, _, err = run([*audit, "--ca-bundle", str(notes)], capsys)
    assert code == 2 and err.endswith(f"{notes}: no PEM certificate in it\n")
    assert servers.total() == 0
    # What httpx would trust instead of certifi's bundle: checked while the run starts, which
    # it stops (a key is no certificate either).
    for content in ("not a certificate\n", servers.ca.private_key_pem.bytes().decode()):
        notes.write_text(content, encoding="utf-8")
        monkeypatch.setenv("SSL_CERT_FILE", str(notes))
        code, _, err = run(audit, capsys)
        assert (code, err) == (
            2,
            f"linkcheck: error: SSL_CERT_FILE={notes}: no PEM certificate in it\n",
        )
    monkeypatch.setenv("SSL_CERT_FILE", ca_bundle)  # a good one passes
    code, out, _ = run(audit, capsys)
    assert code == 0 and json.loads(out)["links"][0]["status"] == "ok"
    # Comments in another alphabet are common in system bundles ("# Issuer: ... Főtanúsítvány").
    commented = tmp_path / "commented.pem"
    commented.write_bytes(
        "# Issuer: CN=NetLock Arany (Class Gold) Főtanúsítvány\n".encode()
        + Path(ca_bundle).read_bytes()
    )
    code, out, _ = run([*audit, "--ca-bundle", str(commented)], capsys)
    assert code == 0 and json.loads(out)["links"][0]["status"] == "ok"


def test_a_user_agent_that_cannot_be_sent_is_one_line_and_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], servers: Scenario
) -> None:
    document = tmp_path / "brief.md"
    document.write_text(f"See [the data]({servers.url('a', '/ok')}).\n", encoding="utf-8")
    audit = ["audit", str(document), "-q", "--archive", "none", "--no-cache", "-f", "json"]
    code, _, err = run([*audit, "--user-agent", "linkcheck \N{CHECK MARK}"], capsys)
    assert code == 2 and err.startswith("linkcheck: error: ") and len(err.splitlines()) == 1
    assert "must be ASCII" in err
    assert servers.total() == 0


def test_the_console_script_runs_without_a_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "linkcheck", "extract", str(tmp_path / "nothing.pdf")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().endswith("no such file")


def test_the_command_answers_version_without_building_the_cli() -> None:
    # A fresh interpreter, as the installed `linkcheck` script starts: the answer is the one
    # the full CLI gives, and neither typer nor the CLI module was imported to give it.
    code = (
        "import sys; sys.argv = ['linkcheck', '--version']\n"
        "from linkcheck.entry import run; run()\n"
        "print(sorted(m for m in ('typer', 'click', 'linkcheck.cli') if m in sys.modules))"
    )
    fast = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    full = subprocess.run(
        [sys.executable, "-c", "from linkcheck.cli import main; main(['--version'])"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert fast.stdout.splitlines() == [full.stdout.strip(), "[]"]
    assert full.stdout.startswith("linkcheck ")


def test_the_command_hands_everything_else_to_the_cli(tmp_path: Path) -> None:
    document = tmp_path / "brief.md"
    document.write_text("See [the data](https://example.org/data).\n", encoding="utf-8")
    argv = ["linkcheck", "extract", str(document), "--format", "json"]
    code = f"import sys; sys.argv = {argv!r}\nfrom linkcheck.entry import run; run()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["links"][0]["url"] == "https://example.org/data"


def test_the_listing_keeps_long_urls_and_claims_on_one_line_in_a_ci_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # stdout is not a terminal here, as in CI: rich would otherwise cut lines at 80 columns,
    # splitting URLs (unclickable, ungreppable) and claims.
    code, out, _ = run(["extract", str(SEED), "--format", "table"], capsys)
    assert code == 0
    long_url = (
        "https://www.cnn.com/2022/03/16/health/overdose-deaths-record-high-fentanyl/index.html"
    )
    assert any(line.rstrip().endswith(long_url) for line in out.splitlines())
    assert any(len(line) > 120 for line in out.splitlines())


# The installed command, as its script runs it, with the arguments after `-c`.
_COMMAND = "import sys; from linkcheck.entry import run; sys.argv[0] = 'linkcheck'; run()"


def _one_link_brief(tmp_path: Path) -> Path:
    document = tmp_path / "brief.md"
    document.write_text("See [the data](https://example.org/data).\n", encoding="utf-8")
    return document


# The installed command ends its process at once (os._exit) when done: a script that runs it
# says what it saw just before. `code` is the exit code.
_AT_EXIT = (
    "import os\n"
    "_exit = os._exit\n"
    "def _saying(code):\n"
    "    {said}\n"
    "    sys.stdout.flush()\n"
    "    _exit(code)\n"
    "os._exit = _saying\n"
)


def test_the_installed_command_keeps_its_exit_code_with_its_output_streams_closed(
    tmp_path: Path,
) -> None:
    # Started with stdout or stderr closed (`>&-`), Python has None for them: nothing to flush.
    document, report = _one_link_brief(tmp_path), tmp_path / "report.json"
    argv = [
        sys.executable,
        "-c",
        _COMMAND,
        "extract",
        str(document),
        "-f",
        "json",
        "-o",
        str(report),
    ]
    for closed in ("1", "2"):
        report.unlink(missing_ok=True)
        done = subprocess.run(
            ["sh", "-c", f'"$@" {closed}>&-', "sh", *argv], capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(report.read_text())["links"][0]["url"] == "https://example.org/data"


def test_the_installed_command_ends_with_its_exit_code_and_everything_written(
    tmp_path: Path,
) -> None:
    # A report larger than stdout's buffer and the pipe's: what is left buffered at the end
    # must still come out.
    document = tmp_path / "brief.md"
    document.write_text(
        "".join(
            f"Claim {n} rests on [the data](https://example.org/data/{n}).\n\n" for n in range(2000)
        ),
        encoding="utf-8",
    )
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    for argv, code in [
        (["extract", str(document), "-f", "json"], 0),
        (["extract", str(tmp_path / "missing.md"), "-f", "json"], 2),
    ]:
        done = subprocess.run(
            [sys.executable, "-c", _COMMAND, *argv],
            capture_output=True,
            text=True,
            timeout=60,
            env=buffered,
        )
        assert done.returncode == code, done.stderr
        if code == 0:  # the whole report, though the process did not tear down
            links = json.loads(done.stdout)["links"]
            assert len(done.stdout) > 1 << 20
            assert [link["url"] for link in links[::1999]] == [
                "https://example.org/data/0",
                "https://example.org/data/1999",
            ]
        else:
            assert done.stderr.startswith("linkcheck: ") and "Traceback" not in done.stderr


def test_help_loads_no_stage_of_the_pipeline() -> None:
    # `linkcheck --help` must stay quick: the HTTP client, the extractors, the data model, the
    # pipeline and the report renderers are imported by the commands that use them.
    code = (
        "import sys; sys.argv = ['linkcheck', '--help']\n"
        "heavy = ('httpx', 'bs4', 'pypdf', 'rich', 'logging', 'linkcheck.models',\n"
        "         'linkcheck.pipeline', 'linkcheck.extract.sources', 'linkcheck.report.json')\n"
        + _AT_EXIT.format(said="print('LOADED', sorted(m for m in heavy if m in sys.modules))")
        + "from linkcheck.entry import run\nrun()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Usage: linkcheck" in done.stdout, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "LOADED []"


def test_a_report_file_is_replaced_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import stat

    import linkcheck.report
    from linkcheck.cli import _write_outputs
    from linkcheck.models import Report
    from linkcheck.report import OutputFormat

    document = tmp_path / "brief.md"
    document.write_text("See [the data](https://data.example.org/table).\n", encoding="utf-8")
    target = tmp_path / "report.json"
    assert main(["extract", str(document), "-f", "json", "-o", str(target)]) == 0
    first = json.loads(target.read_text(encoding="utf-8"))
    assert [link["url"] for link in first["links"]] == ["https://data.example.org/table"]
    assert {p.name for p in tmp_path.iterdir()} == {"brief.md", "report.json"}  # no leftovers

    def broken(*args: object, **kwargs: object) -> object:
        yield "{"
        raise RuntimeError("stopped while writing")

    monkeypatch.setattr(linkcheck.report, "render_chunks", broken)
    report = Report(documents=(), links=(), claims=(), problems=())
    with pytest.raises(RuntimeError):
        _write_outputs(report, [(OutputFormat.JSON, target)])
    assert json.loads(target.read_text(encoding="utf-8")) == first  # the old one, whole
    assert {p.name for p in tmp_path.iterdir()} == {"brief.md", "report.json"}
    monkeypatch.undo()
    # A device is written in place, never replaced by a file.
    assert main(["extract", str(document), "-f", "json", "-o", "/dev/null"]) == 0
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


def test_the_installed_command_ends_an_audit_without_freeing_its_report(tmp_path: Path) -> None:
    # Freed one by one as the command returned, a 10,000-link report took 16 ms; the process
    # ends right after, so its links are still there when it does. Through `main`, as tests
    # and library callers use it, nothing is kept.
    document = tmp_path / "brief.md"
    document.write_text(
        "".join(f"Claim {n} rests on [data](https://example.org/d/{n}).\n\n" for n in range(40)),
        encoding="utf-8",
    )
    argv = ["linkcheck", "audit", str(document), "--offline", "--quiet", "-f", "json"]
    count_links = (
        "import gc; from linkcheck.models import Link; "
        "links = sum(isinstance(o, Link) for o in gc.get_objects())"
    )
    code = (
        f"import sys; sys.argv = {[*argv, '-o', str(tmp_path / 'report.json')]!r}\n"
        + _AT_EXIT.format(said=f"{count_links}; print('LINKS', links, 'EXIT', code)")
        + "from linkcheck.entry import run\nrun()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "LINKS 40 EXIT 0", done.stderr

    from linkcheck.models import Link

    def links_alive() -> int:
        gc.collect()
        return sum(isinstance(o, Link) for o in gc.get_objects())

    before = links_alive()
    assert main([*argv[1:], "-o", str(tmp_path / "again.json")]) == 0
    assert links_alive() == before


def test_a_quiet_audit_prints_nothing_and_loads_no_terminal_or_validation_library(
    tmp_path: Path,
) -> None:
    # CI runs `audit --quiet`: rich (the progress bar and summary it would not show) and
    # pydantic (typer 0.29's option validation) were a fifth of a second of every start.
    document, report = _one_link_brief(tmp_path), tmp_path / "report.json"
    argv = ["linkcheck", "audit", str(document), "--offline", "--quiet", "-f", "json"]
    code = (
        f"import sys; sys.argv = {[*argv, '-o', str(report)]!r}\n"
        "heavy = ('rich', 'pydantic', 'importlib.metadata')\n"
        + _AT_EXIT.format(
            said="print('LOADED', sorted(m for m in heavy if m in sys.modules), 'EXIT', code)"
        )
        + "from linkcheck.entry import run\nrun()\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "LOADED [] EXIT 0", done.stderr
    assert done.stderr == ""
    assert json.loads(report.read_text())["links"][0]["url"] == "https://example.org/data"
