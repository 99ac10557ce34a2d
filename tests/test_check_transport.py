"""Failures before any HTTP answer, bounded reads, and URLs that are never requested."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

from servers.scenario import FAST, HUGE_BYTES, Scenario, check_all, check_one

from linkcheck.models import Status


def test_hanging_server_times_out_after_bounded_retries(servers: Scenario) -> None:
    config = dataclasses.replace(FAST, timeout=0.5, retries=1)
    started = time.monotonic()
    verdict = check_one(servers.url("a", "/hang?s=3"), config).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (
        Status.UNREACHABLE,
        "timeout",
        None,
    )
    assert verdict.attempts == 2
    assert time.monotonic() - started < 2.0
    assert servers.count("a", "/hang?s=3") == 2


def test_a_body_that_stops_halfway_times_out_at_the_request_deadline() -> None:
    # The engine's requests carry no timeout for each read: one deadline bounds the request,
    # body included. A server that sends its head and part of the body, then nothing.
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    served: list[float] = []

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                served.append(time.monotonic())
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5000\r\n\r\n"
                    + b"<html><head><title>Half</title>"
                )
                stop.wait(5)

    server = threading.Thread(target=serve)
    server.start()
    try:
        port = listener.getsockname()[1]
        config = dataclasses.replace(FAST, timeout=0.5, retries=0)
        started = time.monotonic()
        verdict = check_one(f"http://127.0.0.1:{port}/stalls", config).verdict
        took = time.monotonic() - started
    finally:
        stop.set()
        server.join(10)
        listener.close()
    assert (verdict.status, verdict.reason, verdict.attempts) == (
        Status.UNREACHABLE,
        "timeout",
        1,
    )
    assert len(served) == 1 and 0.45 <= took < 2.0


def test_max_url_seconds_bounds_all_retries(servers: Scenario) -> None:
    config = dataclasses.replace(FAST, timeout=0.4, retries=10, max_url_seconds=1.0)
    started = time.monotonic()
    verdict = check_one(servers.url("a", "/hang?s=3"), config).verdict
    assert (verdict.status, verdict.reason) == (Status.UNREACHABLE, "timeout")
    assert 2 <= verdict.attempts <= 3
    assert time.monotonic() - started < 1.6
    assert servers.count("a", "/hang?s=3") == verdict.attempts


def test_refused_port_is_unreachable_refused_and_not_retried(servers: Scenario) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    verdict = check_one(f"http://127.0.0.1:{port}/report").verdict
    assert (verdict.status, verdict.reason, verdict.attempts) == (Status.UNREACHABLE, "refused", 1)
    assert verdict.detail == f"connection refused by 127.0.0.1:{port}"
    assert servers.total() == 0


def test_unresolvable_name_is_unreachable_dns_and_not_retried(servers: Scenario) -> None:
    verdict = check_one("http://nonexistent.invalid/report").verdict
    assert (verdict.status, verdict.reason, verdict.attempts) == (Status.UNREACHABLE, "dns", 1)
    assert verdict.detail is not None
    assert verdict.detail.startswith("name does not resolve: nonexistent.invalid")
    assert servers.total() == 0


def test_untrusted_certificate_is_unreachable_tls(servers: Scenario) -> None:
    verdict = check_one(servers.url("tls", "/ok")).verdict
    assert (verdict.status, verdict.reason, verdict.attempts) == (Status.UNREACHABLE, "tls", 1)
    assert verdict.detail is not None
    assert verdict.detail.startswith("certificate verify failed: ")
    assert servers.total("tls") == 0  # the handshake failed: no request was ever sent


def test_certificate_trusted_through_ca_bundle(servers: Scenario, ca_bundle: str) -> None:
    config = dataclasses.replace(FAST, ca_bundle=ca_bundle)
    verdict = check_one(servers.url("tls", "/ok"), config).verdict
    assert (verdict.status, verdict.reason, verdict.http_status) == (Status.OK, None, 200)
    assert servers.count("tls", "/ok") == 1


def test_huge_body_is_cut_at_max_body_bytes(servers: Scenario) -> None:
    config = dataclasses.replace(FAST, max_body_bytes=100_000)
    started = time.monotonic()
    result = check_one(servers.url("a", "/huge"), config)
    assert (result.verdict.status, result.verdict.reason) == (Status.OK, None)
    assert result.body is not None and len(result.body) == 100_000
    assert time.monotonic() - started < 2.0
    # The server's write loop was cut off: only socket buffers' worth left it, not 50 MB.
    assert servers.huge_done.wait(5.0)
    assert servers.huge_sent < HUGE_BYTES // 4
    assert servers.count("a", "/huge") == 1


def test_metadata_and_link_local_addresses_are_never_requested(servers: Scenario) -> None:
    urls = [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/",
        "http://[::ffff:169.254.169.254]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://2852039166/latest/",  # 169.254.169.254 written as a number: resolves there
    ]
    started = time.monotonic()
    results = check_all(urls)
    for url in urls:
        verdict = results[url].verdict
        assert (verdict.status, verdict.reason, verdict.attempts) == (
            Status.SKIPPED,
            "forbidden-address",
            0,
        ), url
    assert time.monotonic() - started < 1.0
    assert servers.total() == 0


def test_exclude_private_skips_private_ranges_but_keeps_loopback(servers: Scenario) -> None:
    config = dataclasses.replace(FAST, exclude_private=True, soft404_probe=False)
    private, loopback = "http://10.1.2.3/intranet", servers.url("a", "/ok")
    results = check_all([private, loopback, "http://[fd12::1]/x"], config)
    assert (results[private].verdict.status, results[private].verdict.reason) == (
        Status.SKIPPED,
        "excluded",
    )
    assert results["http://[fd12::1]/x"].verdict.reason == "excluded"
    assert (results[loopback].verdict.status, results[loopback].verdict.reason) == (Status.OK, None)
    assert servers.total() == 1


def test_exclude_patterns_and_include_override(servers: Scenario) -> None:
    config = dataclasses.replace(
        FAST, exclude=(r"127\.0\.0\.2",), include=(r"/ok$",), soft404_probe=False
    )
    excluded, included = servers.url("b", "/anchors"), servers.url("b", "/ok")
    results = check_all([excluded, included], config)
    assert (results[excluded].verdict.status, results[excluded].verdict.reason) == (
        Status.SKIPPED,
        "excluded",
    )
    assert results[excluded].verdict.attempts == 0
    assert (results[included].verdict.status, results[included].verdict.reason) == (Status.OK, None)
    assert servers.total("b") == 1


def test_other_schemes_are_skipped_without_a_request(servers: Scenario) -> None:
    urls = ["mailto:press@example.org", "ftp://ftp.example.org/a.txt", "tel:+15551234"]
    results = check_all(urls)
    for url in urls:
        verdict = results[url].verdict
        assert (verdict.status, verdict.reason, verdict.attempts) == (
            Status.SKIPPED,
            "unsupported-scheme",
            0,
        )
    assert servers.total() == 0
