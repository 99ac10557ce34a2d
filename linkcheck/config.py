"""Configuration files: `linkcheck.toml`, or a `[tool.linkcheck]` table in `pyproject.toml`.

`find_config` locates the file, `load_config` parses and validates it into `Settings`, a frozen
value in which every option is optional (None = not set), so that command-line flags can
override the file and the built-in defaults apply last: defaults < file < flags. Every mistake
in a file is a `ConfigError` whose message is one line naming the file and the key, because a
configuration error is read in a CI log, far from the file. docs/CONFIGURATION.md lists the keys.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields, replace
from difflib import get_close_matches
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from linkcheck.check.config import (
    CheckConfig,
    HostRule,
    ca_bundle_problem,
    header_value_problem,
)
from linkcheck.report import OutputFormat
from linkcheck.report.outcome import FailOn

CONFIG_NAME = "linkcheck.toml"
PYPROJECT_NAME = "pyproject.toml"
DEFAULT_CACHE_PATH = ".linkcheck/cache.sqlite3"
DEFAULT_TTL_OK = "7d"
DEFAULT_TTL_FAILED = "1h"
OUTPUT_FORMATS: tuple[str, ...] = tuple(str(f) for f in OutputFormat)
FAIL_ON_NAMES: tuple[str, ...] = tuple(str(f) for f in FailOn)
ARCHIVE_MODES = ("all", "failed", "none")

_T = TypeVar("_T")


class ConfigError(Exception):
    """A configuration file that cannot be used. `message` is one line: file, key, problem."""

    def __init__(self, message: str) -> None:
        # One line whatever the parts said: the message goes to a CI log as is.
        self.message = " ".join(message.split("\n"))
        super().__init__(self.message)


# Durations: "7d", "12h", "90m", "30s", "2w", compounds ("1d 12h"), or plain seconds ("3600").
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms]?)", re.IGNORECASE)
_DURATION_UNITS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0, "": 1.0}


def parse_duration(value: str | float) -> float:
    """Seconds in a duration: a number of seconds, or text such as "30d", "12h", "1d 12h".

    Raises ValueError for anything else (negative numbers, unknown units, empty text)."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"not a duration: {value!r}")
        return float(value)
    text = value.strip()
    total = 0.0
    position = 0
    for match in _DURATION_PART.finditer(text):
        if text[position : match.start()].strip():
            raise ValueError(f"not a duration: {value!r}")
        total += float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]
        position = match.end()
    if position == 0 or text[position:].strip():
        raise ValueError(f"not a duration: {value!r}")
    return total


@dataclass(frozen=True)
class OutputTarget:
    """One `outputs` entry: a report format and the file it goes to (None: standard output)."""

    format: str
    path: Path | None


@dataclass(frozen=True)
class CheckSettings:
    """`[check]` and `[[check.hosts]]`: the CheckConfig options the file sets."""

    timeout: float | None = None
    concurrency: int | None = None
    host_concurrency: int | None = None
    host_interval: float | None = None
    retries: int | None = None
    max_redirects: int | None = None
    max_body_bytes: int | None = None
    max_pdf_bytes: int | None = None
    max_url_seconds: float | None = None
    user_agent: str | None = None
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None
    allow_link_local: bool | None = None
    exclude_private: bool | None = None
    ca_bundle: str | None = None
    check_fragments: bool | None = None
    soft404_probe: bool | None = None
    processes: int | None = None
    # Header values may hold expanded tokens: keep them out of reprs and logs.
    hosts: tuple[HostRule, ...] | None = field(default=None, repr=False)

    def config_kwargs(self) -> dict[str, Any]:
        """The options set, as CheckConfig keyword arguments (`hosts` becomes `host_rules`)."""
        values: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value is not None:
                values["host_rules" if item.name == "hosts" else item.name] = value
        return values


@dataclass(frozen=True)
class ArchiveSettings:
    """`[archive]`. `mode`, `warc` and `manifest` are for the run; the rest map to
    `linkcheck.archive.config.ArchiveConfig` through `config_kwargs()`."""

    mode: str | None = None
    wayback_url: str | None = None
    timetravel_url: str | None = None
    use_timetravel: bool | None = None
    lookup_per_minute: float | None = None
    save_per_minute: float | None = None
    recent_within: str | None = None
    warc: Path | None = None
    manifest: Path | None = None

    def config_kwargs(self) -> dict[str, Any]:
        """The options set, as ArchiveConfig keyword arguments (for `dataclasses.replace`)."""
        values: dict[str, Any] = {}
        for name in ("wayback_url", "timetravel_url", "use_timetravel", "recent_within"):
            if getattr(self, name) is not None:
                values[name] = getattr(self, name)
        if self.lookup_per_minute is not None:
            values["lookup_rate"] = self.lookup_per_minute
        if self.save_per_minute is not None:
            # One figure for both: whoever sets it has checked the limit that applies to them.
            values["save_rate_authenticated"] = self.save_per_minute
            values["save_rate_anonymous"] = self.save_per_minute
        return values


@dataclass(frozen=True)
class SupportSettings:
    """`[support]`: claim-support judging and the optional semantic scorer."""

    enabled: bool | None = None
    semantic: bool | None = None


@dataclass(frozen=True)
class CacheSettings:
    """`[cache]`: the check database. TTLs are in seconds."""

    enabled: bool | None = None
    path: Path | None = None
    ttl_ok: float | None = None
    ttl_failed: float | None = None


@dataclass(frozen=True)
class HistorySettings:
    """`[history]`: how many failed checks, over how many days, before a link fails the run."""

    fail_after_checks: int | None = None
    fail_after_days: float | None = None


@dataclass(frozen=True)
class CacheOptions:
    """The cache settings in effect, defaults applied."""

    enabled: bool
    path: Path
    ttl_ok: float  # seconds an ok or redirected verdict is reused
    ttl_failed: float  # seconds a broken, unreachable or blocked verdict is reused


@dataclass(frozen=True)
class HistoryRule:
    """The history settings in effect: `checks` failed checks spanning at least `days` days
    (IABot: 3 over 6 days). The default, 1 check over 0 days, fails a link at once."""

    checks: int = 1
    days: float = 0.0


@dataclass(frozen=True)
class Settings:
    """A configuration file, validated. None everywhere means "not set in the file"."""

    source: Path | None = None  # the file read; None when there was none
    fail_on: frozenset[str] | None = None  # an empty set: "none", never fail
    outputs: tuple[OutputTarget, ...] | None = None
    date: dt.date | None = None
    base_url: str | None = None
    exclude_paths: tuple[str, ...] | None = None
    check: CheckSettings = field(default_factory=CheckSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    support: SupportSettings = field(default_factory=SupportSettings)
    cache: CacheSettings = field(default_factory=CacheSettings)
    history: HistorySettings = field(default_factory=HistorySettings)

    @property
    def base_dir(self) -> Path | None:
        """The directory relative paths in the file were resolved against."""
        return None if self.source is None else self.source.absolute().parent

    def check_config(self, overrides: Mapping[str, object] | None = None) -> CheckConfig:
        """CheckConfig from defaults < this file < `overrides` (CheckConfig field names, e.g.
        from command-line flags). An override of None, or an empty list for `include`,
        `exclude` or `host_rules`, means "flag not given" and leaves the file's value."""
        values = self.check.config_kwargs()
        known = {item.name for item in fields(CheckConfig)}
        for key, value in (overrides or {}).items():
            if key not in known:
                raise ValueError(f"unknown check option {key!r}")
            if value is None:
                continue
            if key in ("include", "exclude", "host_rules"):
                if not isinstance(value, list | tuple):
                    raise ValueError(f"check option {key!r} takes a list, got {value!r}")
                if not value:  # a repeatable flag given no times
                    continue
                value = tuple(value)
            elif key == "ca_bundle" and isinstance(value, os.PathLike):
                value = os.fspath(value)
            elif key == "user_agent" and isinstance(value, str):
                problem = header_value_problem(value)
                if problem is not None:
                    raise ValueError(f"user agent {value!r}: {problem}")
            values[key] = value
        return replace(CheckConfig(), **values)

    def cache_options(
        self,
        *,
        enabled: bool | None = None,
        path: Path | str | None = None,
        ttl_ok: float | None = None,
        ttl_failed: float | None = None,
    ) -> CacheOptions:
        """The cache settings from defaults < file < these arguments (None: not given).

        On by default, as the command line's `--no-cache` implies: a CI runner starts without
        the file unless it keeps it, and failures are looked at again after `ttl_failed`."""
        base = self.base_dir
        default_path = base / DEFAULT_CACHE_PATH if base else Path(DEFAULT_CACHE_PATH)
        return CacheOptions(
            enabled=_pick(enabled, self.cache.enabled, True),
            path=Path(path) if path is not None else (self.cache.path or default_path),
            ttl_ok=_pick(ttl_ok, self.cache.ttl_ok, parse_duration(DEFAULT_TTL_OK)),
            ttl_failed=_pick(ttl_failed, self.cache.ttl_failed, parse_duration(DEFAULT_TTL_FAILED)),
        )

    def history_rule(self, *, checks: int | None = None, days: float | None = None) -> HistoryRule:
        """The history rule from defaults < file < these arguments (None: not given)."""
        return HistoryRule(
            checks=_pick(checks, self.history.fail_after_checks, 1),
            days=_pick(days, self.history.fail_after_days, 0.0),
        )

    def is_excluded_document(self, path: str | os.PathLike[str]) -> bool:
        """Whether `exclude_paths` skips this document. Globs are matched against the path as
        given and against the path relative to the config file's directory."""
        if not self.exclude_paths:
            return False
        given = Path(path)
        candidates = {given.as_posix().removeprefix("./")}
        base = self.base_dir
        if base is not None:
            # Outside the project only the path as given can match.
            with contextlib.suppress(ValueError):
                candidates.add(given.absolute().relative_to(base).as_posix())
        patterns = [_glob_regex(glob) for glob in self.exclude_paths]
        return any(p.fullmatch(c) for p in patterns for c in candidates)


def _pick(override: _T | None, from_file: _T | None, default: _T) -> _T:
    if override is not None:
        return override
    return from_file if from_file is not None else default


def _glob_regex(glob: str) -> re.Pattern[str]:
    """.gitignore-like globs: `*` and `?` stay within one path segment, `**` spans any number
    of directories, and a pattern without `/` matches a file or directory name at any depth."""
    pattern = glob.removeprefix("./")
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            parts.append(".*")
            index += 2
            continue
        if char == "*":
            parts.append("[^/]*")
        elif char == "?":
            parts.append("[^/]")
        elif char == "[" and "]" in pattern[index + 2 :]:
            end = pattern.index("]", index + 2)
            body = pattern[index + 1 : end].replace("\\", "\\\\")
            parts.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            index = end + 1
            continue
        else:
            parts.append(re.escape(char))
        index += 1
    # A directory pattern skips everything under it.
    return re.compile("".join(parts).rstrip("/") + "(?:/.*)?")


# --- finding the file -------------------------------------------------------------------------

_TOOL_TABLE = re.compile(r"^\s*\[+\s*tool\s*\.\s*linkcheck\s*[.\]]", re.MULTILINE)


def find_config(start: Path) -> Path | None:
    """The configuration file for a run started in `start` (a directory or a file in one).

    Walks up to the filesystem root, stopping after the directory that holds `.git` (the
    project root: a file above it belongs to something else). In each directory
    `linkcheck.toml` wins over `pyproject.toml`, which counts only with a `[tool.linkcheck]`."""
    here = start.absolute()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = directory / PYPROJECT_NAME
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
        if (directory / ".git").exists():  # a directory, or a file in worktrees and submodules
            return None
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        data = pyproject.read_bytes()
    except OSError:
        return False
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        # Broken TOML: claim it only if it visibly has our table, so that load_config reports
        # the syntax error instead of the file being silently passed over.
        return bool(_TOOL_TABLE.search(data.decode("utf-8", "replace")))
    tool = parsed.get("tool")
    return isinstance(tool, dict) and "linkcheck" in tool


def load_settings(start: Path, explicit: Path | None = None) -> Settings:
    """The settings for a run: from `explicit` (a --config path) if given, else from the file
    `find_config(start)` finds, else empty Settings (every default applies)."""
    path = explicit if explicit is not None else find_config(start)
    return Settings() if path is None else load_config(path)


# --- reading and validating -------------------------------------------------------------------

_TOP_KEYS = (
    "fail_on",
    "outputs",
    "date",
    "base_url",
    "exclude_paths",
    "check",
    "archive",
    "support",
    "cache",
    "history",
)
_CHECK_KEYS = tuple(f.name for f in fields(CheckSettings))
_HOST_KEYS = ("pattern", "headers", "accept")
_ARCHIVE_KEYS = tuple(f.name for f in fields(ArchiveSettings))
_SUPPORT_KEYS = tuple(f.name for f in fields(SupportSettings))
_CACHE_KEYS = tuple(f.name for f in fields(CacheSettings))
_HISTORY_KEYS = tuple(f.name for f in fields(HistorySettings))
_ENV_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP token (RFC 9110)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def load_config(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Parse and validate a configuration file. `environ` (default: os.environ) supplies the
    `${NAME}` references in host headers. Raises ConfigError (one line) on any problem."""
    shown = _display(path)
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8"))
    except OSError as error:
        raise ConfigError(f"{shown}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{shown}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{shown}: invalid TOML: {error}") from None
    prefix = ""
    if path.name == PYPROJECT_NAME:
        tool = data.get("tool")
        table = tool.get("linkcheck") if isinstance(tool, dict) else None
        if table is None:
            raise ConfigError(f"{shown}: no [tool.linkcheck] table")
        prefix = "tool.linkcheck."
        data = table
    reader = _Reader(
        shown, prefix, path.absolute().parent, os.environ if environ is None else environ
    )
    return reader.settings(data, path)


def _display(path: Path) -> str:
    """The path as people know it: relative to the working directory when inside it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else name


def _show(value: object) -> str:
    """A value as it would be written in TOML-ish JSON, on one line, cut short."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except ValueError:  # a circular structure cannot come from TOML, but never crash here
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Reader:
    """Validates one file's tables; every error names the file and the key's full path."""

    def __init__(self, shown: str, prefix: str, base_dir: Path, environ: Mapping[str, str]):
        self.shown = shown
        self.prefix = prefix
        self.base_dir = base_dir
        self.environ = environ

    def fail(self, key: str, message: str) -> NoReturn:
        raise ConfigError(f"{self.shown}: {self.prefix}{key}: {message}")

    def expect(self, key: str, what: str, value: object) -> NoReturn:
        self.fail(key, f"expected {what}, got {_show(value)}")

    def table(self, value: object, key: str, allowed: Collection[str]) -> dict[str, Any]:
        """`value` as a table with only `allowed` keys; `key` is its path ("" at the top)."""
        if not isinstance(value, dict):
            self.expect(key, "a table", value)
        where = (self.prefix + key).rstrip(".")
        label = f"[{where}] " if where else ""
        for name in value:
            if name not in allowed:
                hint = get_close_matches(name, list(allowed), n=1)
                suggestion = f" (did you mean {_show(hint[0])}?)" if hint else ""
                raise ConfigError(f"{self.shown}: {label}unknown key {_show(name)}{suggestion}")
        return value

    def section(
        self, data: Mapping[str, Any], key: str, allowed: Collection[str]
    ) -> dict[str, Any]:
        return self.table(data[key], key, allowed) if key in data else {}

    # Scalars: each returns None when the key is absent.

    def number(self, t: Mapping[str, Any], key: str, name: str, *, positive: bool) -> float | None:
        if name not in t:
            return None
        value = t[name]
        what = "a number > 0" if positive else "a number >= 0"
        # bool is an int subclass in Python, but `true` is no number in TOML.
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.expect(_join(key, name), what, value)
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            self.expect(_join(key, name), what, value)
        return float(value)

    def integer(self, t: Mapping[str, Any], key: str, name: str, *, minimum: int) -> int | None:
        if name not in t:
            return None
        value = t[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.expect(_join(key, name), f"an integer >= {minimum}", value)
        return value

    def boolean(self, t: Mapping[str, Any], key: str, name: str) -> bool | None:
        if name not in t:
            return None
        value = t[name]
        if not isinstance(value, bool):
            self.expect(_join(key, name), "true or false", value)
        return value

    def string(self, t: Mapping[str, Any], key: str, name: str) -> str | None:
        if name not in t:
            return None
        value = t[name]
        if not isinstance(value, str) or not value.strip():
            self.expect(_join(key, name), "a non-empty string", value)
        return value

    def strings(self, t: Mapping[str, Any], key: str, name: str) -> tuple[str, ...] | None:
        if name not in t:
            return None
        value = t[name]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.expect(_join(key, name), "a list of non-empty strings", value)
        return tuple(value)

    def regexes(self, t: Mapping[str, Any], key: str, name: str) -> tuple[str, ...] | None:
        patterns = self.strings(t, key, name)
        for pattern in patterns or ():
            try:
                re.compile(pattern)
            except re.error as error:
                self.fail(_join(key, name), f"invalid regex {_show(pattern)}: {error}")
        return patterns

    def duration(
        self, t: Mapping[str, Any], key: str, name: str, *, seconds_ok: bool
    ) -> float | None:
        if name not in t:
            return None
        value = t[name]
        what = 'a duration such as "7d", "12h" or "90m"' + (" or seconds" if seconds_ok else "")
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.expect(_join(key, name), what, value)
        if not seconds_ok and not isinstance(value, str):
            self.expect(_join(key, name), what, value)
        try:
            return parse_duration(value)
        except ValueError:
            self.expect(_join(key, name), what, value)

    def url(self, t: Mapping[str, Any], key: str, name: str) -> str | None:
        value = self.string(t, key, name)
        if value is None:
            return None
        try:
            parts = urlsplit(value)
        except ValueError:
            self.expect(_join(key, name), "an http(s) URL", value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self.expect(_join(key, name), "an http(s) URL", value)
        return value

    def path(self, t: Mapping[str, Any], key: str, name: str) -> Path | None:
        value = self.string(t, key, name)
        # Relative to the file, not to wherever linkcheck was started: the file is the anchor.
        return None if value is None else self.base_dir / Path(value).expanduser()

    def choice(
        self, t: Mapping[str, Any], key: str, name: str, choices: tuple[str, ...]
    ) -> str | None:
        if name not in t:
            return None
        value = t[name]
        if value not in choices or not isinstance(value, str):
            self.expect(_join(key, name), "one of " + ", ".join(map(_show, choices)), value)
        return value

    # Sections.

    def settings(self, data: Mapping[str, Any], source: Path) -> Settings:
        top = self.table(dict(data), "", _TOP_KEYS)
        return Settings(
            source=source,
            fail_on=self.fail_on(top),
            outputs=self.outputs(top),
            date=self.date(top),
            base_url=self.url(top, "", "base_url"),
            exclude_paths=self.strings(top, "", "exclude_paths"),
            check=self.check(self.section(top, "check", _CHECK_KEYS)),
            archive=self.archive(self.section(top, "archive", _ARCHIVE_KEYS)),
            support=self.support(self.section(top, "support", _SUPPORT_KEYS)),
            cache=self.cache(self.section(top, "cache", _CACHE_KEYS)),
            history=self.history(self.section(top, "history", _HISTORY_KEYS)),
        )

    def fail_on(self, top: Mapping[str, Any]) -> frozenset[str] | None:
        if "fail_on" not in top:
            return None
        value = top["fail_on"]
        what = f'a list of {", ".join(FAIL_ON_NAMES)}, or "none"'
        if isinstance(value, str) and value.strip().lower() == "none":
            return frozenset()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.expect("fail_on", what, value)
        names = [v.strip().lower() for v in value]
        for name in names:
            if name not in FAIL_ON_NAMES:
                hint = get_close_matches(name, FAIL_ON_NAMES, n=1)
                suggestion = f" (did you mean {_show(hint[0])}?)" if hint else ""
                self.fail("fail_on", f"unknown name {_show(name)}{suggestion}; expected {what}")
        return frozenset(names)

    def outputs(self, top: Mapping[str, Any]) -> tuple[OutputTarget, ...] | None:
        values = self.strings(top, "", "outputs")
        if values is None:
            return None
        targets = []
        for value in values:
            name, colon, file = value.partition(":")
            if not colon or not file or name.lower() not in OUTPUT_FORMATS:
                what = '"FORMAT:FILE" with FORMAT one of ' + ", ".join(OUTPUT_FORMATS)
                self.expect("outputs", what, value)
            path = None if file == "-" else self.base_dir / Path(file).expanduser()
            targets.append(OutputTarget(name.lower(), path))
        return tuple(targets)

    def date(self, top: Mapping[str, Any]) -> dt.date | None:
        if "date" not in top:
            return None
        value = top["date"]
        # TOML has its own dates (date = 2024-05-01); a datetime is a date subclass, refuse it.
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.expect("date", "a date YYYY-MM-DD", value)

    def check(self, t: Mapping[str, Any]) -> CheckSettings:
        ca_bundle = self.path(t, "check", "ca_bundle")
        problem = ca_bundle_problem(str(ca_bundle)) if ca_bundle is not None else None
        if problem is not None:
            self.fail("check.ca_bundle", f"{problem}: {ca_bundle}")
        return CheckSettings(
            timeout=self.number(t, "check", "timeout", positive=True),
            concurrency=self.integer(t, "check", "concurrency", minimum=1),
            host_concurrency=self.integer(t, "check", "host_concurrency", minimum=1),
            host_interval=self.number(t, "check", "host_interval", positive=False),
            retries=self.integer(t, "check", "retries", minimum=0),
            max_redirects=self.integer(t, "check", "max_redirects", minimum=0),
            max_body_bytes=self.integer(t, "check", "max_body_bytes", minimum=0),
            max_pdf_bytes=self.integer(t, "check", "max_pdf_bytes", minimum=0),
            max_url_seconds=self.number(t, "check", "max_url_seconds", positive=True),
            user_agent=self.user_agent(t),
            include=self.regexes(t, "check", "include"),
            exclude=self.regexes(t, "check", "exclude"),
            allow_link_local=self.boolean(t, "check", "allow_link_local"),
            exclude_private=self.boolean(t, "check", "exclude_private"),
            ca_bundle=None if ca_bundle is None else str(ca_bundle),
            check_fragments=self.boolean(t, "check", "check_fragments"),
            soft404_probe=self.boolean(t, "check", "soft404_probe"),
            processes=self.integer(t, "check", "processes", minimum=1),
            hosts=self.hosts(t),
        )

    def hosts(self, t: Mapping[str, Any]) -> tuple[HostRule, ...] | None:
        if "hosts" not in t:
            return None
        value = t["hosts"]
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.expect("check.hosts", "an array of tables ([[check.hosts]])", value)
        rules = []
        for number, entry in enumerate(value, start=1):
            key = f"check.hosts[{number}]"  # numbered from 1, as people count tables
            self.table(entry, key, _HOST_KEYS)
            pattern = self.string(entry, key, "pattern")
            if pattern is None:
                self.fail(key, 'missing required key "pattern"')
            rules.append(
                HostRule(
                    pattern=pattern,
                    headers=self.headers(entry, key),
                    accept=self.accept(entry, key),
                )
            )
        return tuple(rules)

    def headers(self, entry: Mapping[str, Any], key: str) -> tuple[tuple[str, str], ...]:
        if "headers" not in entry:
            return ()
        table = entry["headers"]
        if not isinstance(table, dict):
            self.expect(f"{key}.headers", "a table of header names to strings", table)
        headers = []
        for name, value in table.items():
            where = f"{key}.headers.{name}"
            if not _HEADER_NAME.fullmatch(name):
                self.fail(f"{key}.headers", f"invalid header name {_show(name)}")
            if not isinstance(value, str):
                self.expect(where, "a string", value)
            expanded = self.expand(value, where)
            problem = header_value_problem(expanded)
            if problem is not None:
                self.fail(where, problem)
            headers.append((name, expanded))
        return tuple(headers)

    def user_agent(self, t: Mapping[str, Any]) -> str | None:
        value = self.string(t, "check", "user_agent")
        problem = header_value_problem(value) if value is not None else None
        if problem is not None:
            self.fail("check.user_agent", problem)
        return value

    def expand(self, value: str, where: str) -> str:
        """`${NAME}` replaced by the environment variable, so tokens stay out of the file."""

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if not _ENV_NAME.fullmatch(name):
                self.fail(where, f"bad environment variable reference {_show(match.group(0))}")
            found = self.environ.get(name)
            if not found:
                # Empty counts as missing: CI runs without access to secrets get "" and
                # would otherwise send "Bearer " and fail every request confusingly.
                self.fail(where, f"environment variable {name} is not set (or is empty)")
            return found

        return _ENV_REFERENCE.sub(substitute, value)

    def accept(self, entry: Mapping[str, Any], key: str) -> frozenset[int]:
        if "accept" not in entry:
            return frozenset()
        value = entry["accept"]
        valid = isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) and 100 <= v <= 999 for v in value
        )
        if not valid:
            self.expect(f"{key}.accept", "a list of HTTP statuses (integers 100-999)", value)
        return frozenset(value)

    def archive(self, t: Mapping[str, Any]) -> ArchiveSettings:
        recent = self.duration(t, "archive", "recent_within", seconds_ok=False)
        return ArchiveSettings(
            mode=self.choice(t, "archive", "mode", ARCHIVE_MODES),
            wayback_url=self.url(t, "archive", "wayback_url"),
            timetravel_url=self.url(t, "archive", "timetravel_url"),
            use_timetravel=self.boolean(t, "archive", "use_timetravel"),
            lookup_per_minute=self.number(t, "archive", "lookup_per_minute", positive=True),
            save_per_minute=self.number(t, "archive", "save_per_minute", positive=True),
            recent_within=None if recent is None else str(t["recent_within"]).strip(),
            warc=self.path(t, "archive", "warc"),
            manifest=self.path(t, "archive", "manifest"),
        )

    def support(self, t: Mapping[str, Any]) -> SupportSettings:
        return SupportSettings(
            enabled=self.boolean(t, "support", "enabled"),
            semantic=self.boolean(t, "support", "semantic"),
        )

    def cache(self, t: Mapping[str, Any]) -> CacheSettings:
        return CacheSettings(
            enabled=self.boolean(t, "cache", "enabled"),
            path=self.path(t, "cache", "path"),
            ttl_ok=self.duration(t, "cache", "ttl_ok", seconds_ok=True),
            ttl_failed=self.duration(t, "cache", "ttl_failed", seconds_ok=True),
        )

    def history(self, t: Mapping[str, Any]) -> HistorySettings:
        return HistorySettings(
            fail_after_checks=self.integer(t, "history", "fail_after_checks", minimum=1),
            fail_after_days=self.number(t, "history", "fail_after_days", positive=False),
        )
