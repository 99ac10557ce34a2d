"""Fixtures for the checker's loopback servers (tests/servers/scenario.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from servers.scenario import Scenario

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(scope="session")
def _scenario_session() -> Iterator[Scenario]:
    scenario = Scenario(trustme.CA())
    yield scenario
    scenario.close()


@pytest.fixture
def servers(_scenario_session: Scenario, monkeypatch: pytest.MonkeyPatch) -> Scenario:
    """The running servers with their request log and per-route state cleared."""
    for name in PROXY_VARIABLES:  # the client honours proxies; loopback must not go through one
        monkeypatch.delenv(name, raising=False)
    _scenario_session.reset()
    return _scenario_session


@pytest.fixture
def ca_bundle(servers: Scenario, tmp_path: Path) -> str:
    """A PEM file holding the test CA, for CheckConfig.ca_bundle."""
    path = tmp_path / "test-ca.pem"
    servers.ca.cert_pem.write_to_path(str(path))
    return str(path)
