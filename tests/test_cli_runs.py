"""Runs over time: the check store, the history rule, configuration files, shards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers.demo import World, brief, demo_world_counted

from linkcheck.cli import main

FAST = ["--timeout", "5", "--retries", "0", "--host-interval", "0", "-q", "--archive", "none"]


@pytest.fixture
def world() -> Iterator[World]:
    with demo_world_counted() as running:
        yield running


@pytest.fixture
def document(world: World, tmp_path: Path) -> Path:
    path = tmp_path / "brief.md"
    path.write_text(brief(world.site), encoding="utf-8")
    return path


def audit_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = main(["audit", *args, *FAST, "-f", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_fresh_check_is_reused_without_a_request(
    world: World, document: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache.sqlite3"
    first_code, first = audit_json([str(document), "--cache", str(cache)], capsys)
    seen = world.hits("/reports/overdose-deaths-record")
    assert seen == 1
    second_code, second = audit_json([str(document), "--cache", str(cache)], capsys)
    assert world.hits("/reports/overdose-deaths-record") == 1  # no second request
    assert first_code == second_code == 1
    links = {link["url"]: link for link in second["links"]}
    overdose = links[f"{world.site}/reports/overdose-deaths-record"]
    assert overdose["status"] == "ok" and "cached" in overdose["flags"]
    # the evidence judged on the first run comes back with the cached check
    assert overdose["occurrences"][0]["support"]["verdict"] == "supported"
    assert [link["status"] for link in first["links"]] == [
        link["status"] for link in second["links"]
    ]


def test_no_cache_asks_again(
    world: World, document: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache.sqlite3"
    audit_json([str(document), "--cache", str(cache)], capsys)
    audit_json([str(document), "--cache", str(cache), "--no-cache"], capsys)
    assert world.hits("/reports/overdose-deaths-record") == 2


def test_history_rule_fails_only_a_confirmed_failure(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "one.md"
    document.write_text(f"Reporters were killed ([data]({world.site}/press/archive-lost)).\n")
    cache = tmp_path / "cache.sqlite3"
    # A failed check is reused for --cache's failure TTL; make it 0 so each run checks again.
    config = tmp_path / "linkcheck.toml"
    config.write_text('[cache]\nttl_failed = "0s"\n', encoding="utf-8")
    args = [str(document), "--cache", str(cache), "--config", str(config), "--fail-after", "2"]
    code, report = audit_json(args, capsys)
    assert code == 0  # one failed check: reported, not yet failing the run
    assert report["links"][0]["status"] == "broken"
    assert "unconfirmed-failure" in report["links"][0]["flags"]
    code, report = audit_json(args, capsys)
    assert code == 1  # two consecutive failed checks: confirmed
    assert "unconfirmed-failure" not in report["links"][0]["flags"]
    assert world.hits("/press/archive-lost") == 2


def test_configuration_file_sets_options_and_flags_override_it(
    world: World, document: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "linkcheck.toml"
    config.write_text(
        'fail_on = "none"\n[check]\nexclude = ["/data/"]\n[support]\nenabled = false\n',
        encoding="utf-8",
    )
    code, report = audit_json([str(document), "--config", str(config), "--no-cache"], capsys)
    assert code == 0
    links = {link["url"]: link for link in report["links"]}
    assert links[f"{world.site}/data/homicides"]["reason"] == "excluded"
    assert all(o["support"] is None for link in report["links"] for o in link["occurrences"])
    code, _ = audit_json(
        [str(document), "--config", str(config), "--no-cache", "--fail-on", "broken"], capsys
    )
    assert code == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[check]\ntimeout = "fast"\n', "check.timeout"),
        ("[chek]\ntimeout = 3\n", "chek"),
        ('[check]\nexclude = ["("]\n', "check.exclude"),
    ],
)
def test_configuration_errors_are_one_line_naming_the_key(
    text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "linkcheck.toml"
    config.write_text(text, encoding="utf-8")
    document = tmp_path / "d.md"
    document.write_text("x\n")
    code = main(["audit", str(document), "--config", str(config), "--offline"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and expected in err[0] and "linkcheck.toml" in err[0]


def test_shards_partition_the_urls_and_merge_back(
    document: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    for k in (1, 2, 3):
        target = tmp_path / f"shard{k}.json"
        main(
            [
                "audit",
                str(document),
                *FAST,
                "--no-cache",
                "--shard",
                f"{k}/3",
                "-o",
                f"json:{target}",
            ]
        )
        outputs.append(json.loads(target.read_text()))
    checked = [
        {link["url"] for link in report["links"] if link["status"] not in ("unchecked", "skipped")}
        for report in outputs
    ]
    assert not (checked[0] & checked[1]) and not (checked[1] & checked[2])
    assert sum(len(urls) for urls in checked) == 10
    merged_path = tmp_path / "merged.json"
    capsys.readouterr()
    assert (
        main(
            [
                "merge",
                *(str(tmp_path / f"shard{k}.json") for k in (1, 2, 3)),
                "-o",
                str(merged_path),
            ]
        )
        == 0
    )
    merged = json.loads(merged_path.read_text())
    assert sum(1 for link in merged["links"] if link["status"] == "unchecked") == 0
    assert merged["summary"]["links"] == 11
