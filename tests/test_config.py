"""Configuration files: discovery, validation with one-line errors, and override precedence."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import certifi
import pytest

from linkcheck.check.config import CheckConfig, HostRule
from linkcheck.config import (
    ConfigError,
    HistoryRule,
    OutputTarget,
    Settings,
    find_config,
    load_config,
    load_settings,
    parse_duration,
)

FULL = """
fail_on = ["broken", "Unreachable"]
outputs = ["json:reports/out.json", "sarif:linkcheck.sarif", "markdown:-"]
date = "2024-05-01"
base_url = "https://example.org/briefs/"
exclude_paths = ["drafts/**", "*.tmp.md"]

[check]
timeout = 5
concurrency = 8
host_concurrency = 1
host_interval = 0.5
retries = 0
max_redirects = 4
max_body_bytes = 2048
max_pdf_bytes = 4096
max_url_seconds = 30.5
user_agent = "policy-bot/1.0"
include = ["^https://keep\\\\."]
exclude = ["example\\\\.com", "^mailto:"]
allow_link_local = false
exclude_private = true
ca_bundle = "certs/ca.pem"
check_fragments = false
soft404_probe = false

[[check.hosts]]
pattern = "api.github.com"
headers = { Authorization = "Bearer ${GH_TOKEN}", Accept = "application/json" }
accept = [429]

[[check.hosts]]
pattern = "*.linkedin.com"
accept = [999, 200]

[archive]
mode = "failed"
wayback_url = "http://127.0.0.1:8080"
timetravel_url = "https://timetravel.example"
use_timetravel = true
lookup_per_minute = 10
save_per_minute = 2.5
recent_within = "12h"
warc = "out/run.warc.gz"
manifest = "out/manifest.json"

[support]
enabled = true
semantic = false

[cache]
enabled = true
path = "state/checks.sqlite3"
ttl_ok = "2d"
ttl_failed = 600

[history]
fail_after_checks = 3
fail_after_days = 6
"""


def write(directory: Path, text: str, name: str = "linkcheck.toml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def error_for(
    tmp_path: Path, text: str, name: str = "linkcheck.toml", env: dict[str, str] | None = None
) -> str:
    path = write(tmp_path, text, name)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ=env or {})
    message = caught.value.message
    assert "\n" not in message and str(caught.value) == message
    return message


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Messages name the file relative to the working directory.
    monkeypatch.chdir(tmp_path)


# --- a full file --------------------------------------------------------------------------------


def test_full_file_is_read_into_settings(tmp_path: Path) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_bytes(Path(certifi.where()).read_bytes())
    settings = load_config(write(tmp_path, FULL), environ={"GH_TOKEN": "s3cret"})

    assert settings.source == tmp_path / "linkcheck.toml"
    assert settings.fail_on == frozenset({"broken", "unreachable"})
    assert settings.outputs == (
        OutputTarget("json", tmp_path / "reports/out.json"),
        OutputTarget("sarif", tmp_path / "linkcheck.sarif"),
        OutputTarget("markdown", None),
    )
    assert settings.date == dt.date(2024, 5, 1)
    assert settings.base_url == "https://example.org/briefs/"
    assert settings.exclude_paths == ("drafts/**", "*.tmp.md")

    config = settings.check_config({})
    assert config == CheckConfig(
        timeout=5.0,
        concurrency=8,
        host_concurrency=1,
        host_interval=0.5,
        retries=0,
        max_redirects=4,
        max_body_bytes=2048,
        max_pdf_bytes=4096,
        max_url_seconds=30.5,
        user_agent="policy-bot/1.0",
        include=(r"^https://keep\.",),
        exclude=(r"example\.com", "^mailto:"),
        host_rules=(
            HostRule(
                "api.github.com",
                headers=(("Authorization", "Bearer s3cret"), ("Accept", "application/json")),
                accept=frozenset({429}),
            ),
            HostRule("*.linkedin.com", accept=frozenset({999, 200})),
        ),
        allow_link_local=False,
        exclude_private=True,
        ca_bundle=str(tmp_path / "certs" / "ca.pem"),  # resolved against the file's directory
        check_fragments=False,
        soft404_probe=False,
    )
    assert isinstance(config.timeout, float)
    assert "s3cret" not in repr(settings)  # expanded tokens stay out of reprs

    archive = settings.archive
    assert archive.mode == "failed" and archive.use_timetravel is True
    assert archive.warc == tmp_path / "out/run.warc.gz"
    assert archive.manifest == tmp_path / "out/manifest.json"
    assert archive.config_kwargs() == {
        "wayback_url": "http://127.0.0.1:8080",
        "timetravel_url": "https://timetravel.example",
        "use_timetravel": True,
        "recent_within": "12h",
        "lookup_rate": 10.0,
        "save_rate_authenticated": 2.5,
        "save_rate_anonymous": 2.5,
    }
    assert settings.support.enabled is True and settings.support.semantic is False

    cache = settings.cache_options()
    assert cache.enabled is True
    assert cache.path == tmp_path / "state/checks.sqlite3"
    assert (cache.ttl_ok, cache.ttl_failed) == (2 * 86400.0, 600.0)
    assert settings.history_rule() == HistoryRule(checks=3, days=6.0)


def test_an_empty_file_and_no_file_give_the_defaults(tmp_path: Path) -> None:
    for settings in (load_config(write(tmp_path, "")), Settings()):
        assert settings.check_config({}) == CheckConfig()
        assert settings.fail_on is None and settings.outputs is None
        assert settings.history_rule() == HistoryRule(checks=1, days=0.0)
        cache = settings.cache_options()
        assert cache.enabled is True
        assert (cache.ttl_ok, cache.ttl_failed) == (7 * 86400.0, 3600.0)
    assert load_config(write(tmp_path, "")).cache_options().path == (
        tmp_path / ".linkcheck/cache.sqlite3"
    )
    assert Settings().cache_options().path == Path(".linkcheck/cache.sqlite3")


def test_pyproject_table_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[project]\nname = "x"\n\n[tool.linkcheck]\nfail_on = "none"\n\n'
        "[tool.linkcheck.check]\ntimeout = 2.5\n\n"
        '[[tool.linkcheck.check.hosts]]\npattern = "*.gov"\n',
        "pyproject.toml",
    )
    settings = load_config(path)
    assert settings.fail_on == frozenset()
    assert settings.check_config({}).timeout == 2.5
    assert settings.check_config({}).host_rules == (HostRule("*.gov"),)


# --- precedence ---------------------------------------------------------------------------------


def test_overrides_beat_the_file_which_beats_the_defaults(tmp_path: Path) -> None:
    settings = load_config(
        write(tmp_path, '[check]\ntimeout = 5\nretries = 1\nexclude = ["a"]\ninclude = ["b"]\n')
    )
    config = settings.check_config(
        {
            "timeout": 9.0,  # a flag given: wins over the file
            "retries": None,  # a flag not given: the file's value stays
            "exclude": ["c", "d"],  # a repeatable flag given: replaces the file's list
            "include": [],  # a repeatable flag given no times: the file's list stays
            "ca_bundle": Path("ca.pem"),
        }
    )
    assert config.timeout == 9.0
    assert config.retries == 1
    assert config.exclude == ("c", "d")
    assert config.include == ("b",)
    assert config.ca_bundle == "ca.pem"
    assert config.concurrency == CheckConfig().concurrency  # neither: the default


def test_unknown_override_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timout"):
        Settings().check_config({"timout": 3})


def test_cache_and_history_arguments_override_the_file(tmp_path: Path) -> None:
    settings = load_config(
        write(
            tmp_path, '[cache]\nenabled = true\nttl_ok = "1d"\n[history]\nfail_after_checks = 3\n'
        )
    )
    cache = settings.cache_options(enabled=False, ttl_failed=5.0, path="elsewhere.db")
    assert (cache.enabled, cache.ttl_ok, cache.ttl_failed) == (False, 86400.0, 5.0)
    assert cache.path == Path("elsewhere.db")
    assert settings.history_rule(days=2.0) == HistoryRule(checks=3, days=2.0)
    off = load_config(write(tmp_path, "[cache]\nenabled = false\n"))
    assert off.cache_options().enabled is False
    assert off.cache_options(enabled=True).enabled is True


# --- environment variables in headers -----------------------------------------------------------

HOST_WITH_TOKEN = """
[[check.hosts]]
pattern = "api.example.org"
headers = { Authorization = "token ${API_TOKEN}", "X-Pair" = "${A}-${B}" }
"""


def test_header_values_expand_environment_variables(tmp_path: Path) -> None:
    settings = load_config(
        write(tmp_path, HOST_WITH_TOKEN), environ={"API_TOKEN": "t0k", "A": "1", "B": "2"}
    )
    (rule,) = settings.check_config({}).host_rules
    assert rule.headers == (("Authorization", "token t0k"), ("X-Pair", "1-2"))


def test_os_environ_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("API_TOKEN", "from-env")
    monkeypatch.setenv("A", "a")
    monkeypatch.setenv("B", "b")
    (rule,) = load_config(write(tmp_path, HOST_WITH_TOKEN)).check_config({}).host_rules
    assert ("Authorization", "token from-env") in rule.headers


def test_missing_or_empty_environment_variable_is_named(tmp_path: Path) -> None:
    message = error_for(tmp_path, HOST_WITH_TOKEN, env={"A": "1", "B": "2"})
    assert message == (
        "linkcheck.toml: check.hosts[1].headers.Authorization: "
        "environment variable API_TOKEN is not set (or is empty)"
    )
    message = error_for(tmp_path, HOST_WITH_TOKEN, env={"API_TOKEN": "x", "A": "1", "B": ""})
    assert "environment variable B is not set" in message


def test_header_value_cannot_inject_a_line_break(tmp_path: Path) -> None:
    message = error_for(
        tmp_path, HOST_WITH_TOKEN, env={"API_TOKEN": "x\r\nEvil: 1", "A": "1", "B": "2"}
    )
    assert message.startswith("linkcheck.toml: check.hosts[1].headers.Authorization: ")
    assert "line breaks" in message and "Evil" not in message


# --- one-line errors naming the file and the key ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[check]\ntimeout = "fast"\n',
            'linkcheck.toml: check.timeout: expected a number > 0, got "fast"',
        ),
        ("[check]\ntimeout = 0\n", "linkcheck.toml: check.timeout: expected a number > 0, got 0"),
        (
            "[check]\ntimeout = true\n",
            "linkcheck.toml: check.timeout: expected a number > 0, got true",
        ),
        (
            "[check]\ntimeout = nan\n",
            "linkcheck.toml: check.timeout: expected a number > 0, got NaN",
        ),
        (
            "[check]\nconcurrency = 0\n",
            "linkcheck.toml: check.concurrency: expected an integer >= 1, got 0",
        ),
        (
            "[check]\nconcurrency = 2.0\n",
            "linkcheck.toml: check.concurrency: expected an integer >= 1, got 2.0",
        ),
        (
            "[check]\nretries = true\n",  # a bool is no int, although Python says it is
            "linkcheck.toml: check.retries: expected an integer >= 0, got true",
        ),
        (
            "[check]\nhost_interval = -1\n",
            "linkcheck.toml: check.host_interval: expected a number >= 0, got -1",
        ),
        (
            '[check]\ncheck_fragments = "yes"\n',
            'linkcheck.toml: check.check_fragments: expected true or false, got "yes"',
        ),
        (
            '[check]\nexclude = "x"\n',
            'linkcheck.toml: check.exclude: expected a list of non-empty strings, got "x"',
        ),
        (
            '[check]\nexclude = ["ok", "(unclosed"]\n',
            'linkcheck.toml: check.exclude: invalid regex "(unclosed": '
            "missing ), unterminated subpattern at position 0",
        ),
        (
            '[check]\nca_bundle = "nope.pem"\n',
            "linkcheck.toml: check.ca_bundle: no such file: {tmp}/nope.pem",
        ),
        (
            "[[check.hosts]]\naccept = [200]\n",
            'linkcheck.toml: check.hosts[1]: missing required key "pattern"',
        ),
        (
            '[[check.hosts]]\npattern = "a"\n[[check.hosts]]\npattern = "b"\naccept = [99]\n',
            "linkcheck.toml: check.hosts[2].accept: "
            "expected a list of HTTP statuses (integers 100-999), got [99]",
        ),
        (
            '[[check.hosts]]\npattern = "a"\nheaders = { "Bad Name" = "v" }\n',
            'linkcheck.toml: check.hosts[1].headers: invalid header name "Bad Name"',
        ),
        (
            '[check]\nhosts = { pattern = "a" }\n',
            "linkcheck.toml: check.hosts: expected an array of tables ([[check.hosts]]), "
            'got {"pattern": "a"}',
        ),
        (
            'fail_on = ["broken", "brokn"]\n',
            'linkcheck.toml: fail_on: unknown name "brokn" (did you mean "broken"?); '
            "expected a list of broken, blocked, redirected, unreachable, not-found, drifted, "
            'or "none"',
        ),
        (
            'fail_on = "broken"\n',
            "linkcheck.toml: fail_on: expected a list of broken, blocked, redirected, "
            'unreachable, not-found, drifted, or "none", got "broken"',
        ),
        (
            'outputs = ["pdf:out.pdf"]\n',
            'linkcheck.toml: outputs: expected "FORMAT:FILE" with FORMAT one of table, json, csv, '
            'sarif, junit, github, markdown, html, got "pdf:out.pdf"',
        ),
        (
            'date = "01/05/2024"\n',
            'linkcheck.toml: date: expected a date YYYY-MM-DD, got "01/05/2024"',
        ),
        (
            'date = "2024-02-30"\n',
            'linkcheck.toml: date: expected a date YYYY-MM-DD, got "2024-02-30"',
        ),
        (
            'base_url = "example.org"\n',
            'linkcheck.toml: base_url: expected an http(s) URL, got "example.org"',
        ),
        (
            '[archive]\nmode = "some"\n',
            'linkcheck.toml: archive.mode: expected one of "all", "failed", "none", got "some"',
        ),
        (
            '[archive]\nwayback_url = "ftp://x"\n',
            'linkcheck.toml: archive.wayback_url: expected an http(s) URL, got "ftp://x"',
        ),
        (
            '[archive]\nrecent_within = "soon"\n',
            'linkcheck.toml: archive.recent_within: expected a duration such as "7d", "12h" or '
            '"90m", got "soon"',
        ),
        (
            "[archive]\nsave_per_minute = 0\n",
            "linkcheck.toml: archive.save_per_minute: expected a number > 0, got 0",
        ),
        (
            '[cache]\nttl_ok = "1 fortnight"\n',
            'linkcheck.toml: cache.ttl_ok: expected a duration such as "7d", "12h" or "90m" '
            'or seconds, got "1 fortnight"',
        ),
        (
            "[history]\nfail_after_checks = 0\n",
            "linkcheck.toml: history.fail_after_checks: expected an integer >= 1, got 0",
        ),
        ("check = 5\n", "linkcheck.toml: check: expected a table, got 5"),
    ],
)
def test_bad_values_are_one_line_naming_file_and_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert error_for(tmp_path, text) == expected.replace("{tmp}", str(tmp_path))


def test_a_user_agent_that_cannot_be_sent_is_refused_from_the_file_and_the_flag(
    tmp_path: Path,
) -> None:
    # It used to end the run with "internal error: UnicodeEncodeError" (exit 70).
    assert error_for(tmp_path, '[check]\nuser_agent = "bot \u2713"\n') == (
        "linkcheck.toml: check.user_agent: header values must be ASCII (httpx sends them so)"
    )
    with pytest.raises(ValueError, match="must not contain line breaks"):
        Settings().check_config({"user_agent": "bot\r\nX-Injected: 1"})
    assert Settings().check_config({"user_agent": "bot/1.0 (+ops@example.org)"}).user_agent == (
        "bot/1.0 (+ops@example.org)"
    )


def test_a_ca_bundle_without_certificates_is_refused_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "notes.pem").write_text("not a certificate\n", encoding="utf-8")
    assert error_for(tmp_path, '[check]\nca_bundle = "notes.pem"\n') == (
        f"linkcheck.toml: check.ca_bundle: no PEM certificate in it: {tmp_path}/notes.pem"
    )
    assert error_for(tmp_path, '[check]\nca_bundle = "."\n') == (
        f"linkcheck.toml: check.ca_bundle: is a directory: {tmp_path}"
    )


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        (
            "chek = 1\n",
            "linkcheck.toml",
            'linkcheck.toml: unknown key "chek" (did you mean "check"?)',
        ),
        (
            "[tool.linkcheck]\nchek = 1\n",
            "pyproject.toml",
            'pyproject.toml: [tool.linkcheck] unknown key "chek" (did you mean "check"?)',
        ),
        (
            "[check]\ntimout = 3\n",
            "linkcheck.toml",
            'linkcheck.toml: [check] unknown key "timout" (did you mean "timeout"?)',
        ),
        (
            "[tool.linkcheck.cache]\nttl = 3\n",
            "pyproject.toml",
            'pyproject.toml: [tool.linkcheck.cache] unknown key "ttl" (did you mean "ttl_ok"?)',
        ),
        (
            '[[check.hosts]]\npattern = "x"\nheader = {}\n',
            "linkcheck.toml",
            'linkcheck.toml: [check.hosts[1]] unknown key "header" (did you mean "headers"?)',
        ),
        ("zzz = 1\n", "linkcheck.toml", 'linkcheck.toml: unknown key "zzz"'),
        (
            "[tool.linkcheck.check]\ntimeout = -2\n",
            "pyproject.toml",
            "pyproject.toml: tool.linkcheck.check.timeout: expected a number > 0, got -2",
        ),
    ],
)
def test_unknown_keys_suggest_the_nearest(
    tmp_path: Path, text: str, name: str, expected: str
) -> None:
    assert error_for(tmp_path, text, name) == expected


def test_invalid_toml_is_one_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, "[check\ntimeout = 1\n")
    assert message.startswith("linkcheck.toml: invalid TOML: ")


def test_file_outside_the_working_directory_is_named_by_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "chek = 1\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    with pytest.raises(ConfigError, match=f"^{path}: unknown key"):
        load_config(path)


def test_native_toml_values(tmp_path: Path) -> None:
    settings = load_config(write(tmp_path, "date = 2024-05-01\n[history]\nfail_after_days = 7\n"))
    assert settings.date == dt.date(2024, 5, 1)
    assert settings.history_rule().days == 7.0
    message = error_for(tmp_path, "date = 2024-05-01T10:00:00\n")
    assert message.startswith("linkcheck.toml: date: expected a date YYYY-MM-DD")


def test_durations() -> None:
    assert parse_duration("30d") == 30 * 86400
    assert parse_duration("12h") == 12 * 3600
    assert parse_duration("90m") == 5400
    assert parse_duration("1d 12h") == 1.5 * 86400
    assert parse_duration("3600") == 3600
    assert parse_duration(60) == 60.0
    for bad in ("", "d", "5y", "-3h", "1d x"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError):
        parse_duration(-1)


# --- finding the file ---------------------------------------------------------------------------


def test_find_config_walks_up_and_prefers_linkcheck_toml(tmp_path: Path) -> None:
    project = tmp_path / "project"
    deep = project / "docs" / "briefs"
    deep.mkdir(parents=True)
    (project / ".git").mkdir()
    write(project, "[tool.linkcheck]\n", "pyproject.toml")
    assert find_config(deep) == project / "pyproject.toml"
    assert find_config(deep / "brief.md") == project / "pyproject.toml"  # a file: its directory

    write(project, "")  # linkcheck.toml next to it wins
    assert find_config(deep) == project / "linkcheck.toml"

    nearer = write(project / "docs", "", "pyproject.toml")  # no [tool.linkcheck]: not ours
    assert find_config(deep) == project / "linkcheck.toml"
    write(project / "docs", "[tool.linkcheck.check]\ntimeout = 1\n", "pyproject.toml")
    assert find_config(deep) == nearer  # the nearest directory wins


def test_find_config_stops_at_the_repository_root(tmp_path: Path) -> None:
    write(tmp_path, "")  # above the repository: belongs to something else
    repo = tmp_path / "repo"
    (repo / "sub").mkdir(parents=True)
    (repo / ".git").write_text("gitdir: elsewhere\n")  # worktrees and submodules have a file
    assert find_config(repo / "sub") is None
    (repo / ".git").unlink()
    assert find_config(repo / "sub") == tmp_path / "linkcheck.toml"


def test_broken_pyproject_with_our_table_is_found_and_reported(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    write(tmp_path, "[tool.linkcheck]\ntimeout = = 1\n", "pyproject.toml")
    found = find_config(tmp_path)
    assert found == tmp_path / "pyproject.toml"
    with pytest.raises(ConfigError, match=r"^pyproject\.toml: invalid TOML"):
        load_config(found)
    write(tmp_path, "[project\n", "pyproject.toml")  # broken, and not ours: passed over
    assert find_config(tmp_path) is None


def test_load_settings(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert load_settings(tmp_path) == Settings()
    write(tmp_path, "[check]\nretries = 0\n")
    assert load_settings(tmp_path).check_config({}).retries == 0
    other = write(tmp_path, "[check]\nretries = 5\n", "other.toml")
    assert load_settings(tmp_path, explicit=other).check_config({}).retries == 5


def test_pyproject_without_our_table_is_an_error_when_named(tmp_path: Path) -> None:
    assert error_for(tmp_path, "[project]\n", "pyproject.toml") == (
        "pyproject.toml: no [tool.linkcheck] table"
    )


# --- documents to skip --------------------------------------------------------------------------


def test_exclude_paths(tmp_path: Path) -> None:
    settings = load_config(
        write(tmp_path, 'exclude_paths = ["drafts/**", "*.tmp.md", "docs/?.txt", "vendor/"]\n')
    )
    assert settings.is_excluded_document("drafts/a.md")
    assert settings.is_excluded_document("drafts/deep/b.md")
    assert settings.is_excluded_document("./drafts/a.md")
    assert settings.is_excluded_document(tmp_path / "drafts" / "a.md")  # absolute, inside
    assert settings.is_excluded_document("briefs/x.tmp.md")  # no "/": matches at any depth
    assert settings.is_excluded_document("docs/a.txt")
    assert not settings.is_excluded_document("docs/ab.txt")  # ? is one character
    assert not settings.is_excluded_document("docs/sub/a.txt")  # * and ? stay in one segment
    assert settings.is_excluded_document("vendor/x/y.md")  # a directory: all under it
    assert not settings.is_excluded_document("briefs/a.md")
    assert not Settings().is_excluded_document("drafts/a.md")


# --- the documentation --------------------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "CONFIGURATION.md"


def test_documented_examples_load(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    blocks = text.split("```toml\n")[1:]
    assert len(blocks) == 2
    linkcheck_toml, pyproject = (block.split("```", 1)[0] for block in blocks)
    env = {"GITHUB_TOKEN": "t"}
    settings = load_config(write(tmp_path, linkcheck_toml), environ=env)
    assert settings.history_rule() == HistoryRule(checks=3, days=6.0)
    assert settings.check_config({}).host_rules[1].accept == frozenset({999})
    settings = load_config(write(tmp_path, pyproject, "pyproject.toml"), environ=env)
    assert settings.check_config({}).timeout == 15.0


def test_every_key_is_documented_and_every_documented_key_exists() -> None:
    from linkcheck import config

    text = DOCS.read_text(encoding="utf-8")
    sections = {
        "Top level": config._TOP_KEYS[:5],
        "`[check]`": tuple(k for k in config._CHECK_KEYS if k != "hosts"),
        "`[[check.hosts]]`": config._HOST_KEYS,
        "`[archive]`": config._ARCHIVE_KEYS,
        "`[support]`": config._SUPPORT_KEYS,
        "`[cache]`": config._CACHE_KEYS,
        "`[history]`": config._HISTORY_KEYS,
    }
    for heading, keys in sections.items():
        part = text.split(f"### {heading}", 1)[1].split("\n### ", 1)[0]
        documented = [
            line.split("|")[1].strip().strip("`")
            for line in part.splitlines()
            if line.startswith("| `")
        ]
        assert sorted(documented) == sorted(keys), heading
