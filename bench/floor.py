"""The floor for any checker built on httpx: bare GETs of the bench's URL list, nothing else.

Same server, URLs, concurrency (64, 8 per host) and body limit as `linkcheck audit` in the
bench, with no extraction, verdicts, retries or report. Two transports, one connection pool
per origin in both:

    httpx      httpx.AsyncHTTPTransport per origin (httpcore on anyio, as httpx ships)
    linkcheck  linkcheck's own transport (check/pools.py: httpcore on asyncio streams)

    bench/.venv/bin/python bench/floor.py [--links 10000] [--transport httpx,linkcheck]

Prints wall and CPU seconds per transport. The gap between this and `linkcheck audit` is what
linkcheck itself costs; the gap between this and N x L / C is what httpx costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from linkcheck.check.pools import OriginPools

sys.path.insert(0, str(Path(__file__).parent))
from corpus import url_list  # noqa: E402

BODY_LIMIT = 1_048_576  # linkcheck's default max_body_bytes


class HttpxPerOrigin(httpx.AsyncBaseTransport):
    def __init__(self, per_origin: int, context: ssl.SSLContext) -> None:
        self._limits = httpx.Limits(
            max_connections=per_origin, max_keepalive_connections=per_origin
        )
        self._context = context
        self._pools: dict[tuple[str, int | None], httpx.AsyncHTTPTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = (request.url.host, request.url.port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = httpx.AsyncHTTPTransport(
                verify=self._context, limits=self._limits
            )
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()


async def fetch_all(
    urls: list[str], transport: httpx.AsyncBaseTransport, concurrency: int, per_host: int
) -> Counter[int]:
    overall = asyncio.Semaphore(concurrency)
    hosts: dict[str, asyncio.Semaphore] = {}

    async def one(client: httpx.AsyncClient, url: str) -> int:
        host = httpx.URL(url).host
        async with hosts.setdefault(host, asyncio.Semaphore(per_host)), overall:
            async with client.stream("GET", url) as response:
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > BODY_LIMIT:
                        break
                return response.status_code

    async with httpx.AsyncClient(transport=transport, timeout=20) as client:
        statuses = await asyncio.gather(*(one(client, url) for url in urls))
    return Counter(statuses)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--transport", default="httpx,linkcheck")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()
    server = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).parent / "server.py"),
            "--latency-ms",
            str(args.latency_ms),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        info = json.loads(server.stdout.readline())  # type: ignore[union-attr]
        urls, _ = url_list(args.links, info["hosts"], info["port"])
        per_host = max(1, args.concurrency // len(info["hosts"]))
        context = ssl.create_default_context()
        ideal = args.links * args.latency_ms / 1000 / args.concurrency
        for name in args.transport.split(","):
            transport: httpx.AsyncBaseTransport = (
                HttpxPerOrigin(per_host + 2, context)
                if name == "httpx"
                else OriginPools(
                    ssl_context=context,
                    http2=False,
                    per_origin=per_host + 2,
                    max_pools=64,
                    proxies={},
                )
            )
            wall, cpu = time.perf_counter(), time.process_time()
            statuses = asyncio.run(fetch_all(urls, transport, args.concurrency, per_host))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            print(
                f"{name:<10} {args.links} links  {wall:6.2f} s wall ({wall / ideal:4.2f}x ideal)"
                f"  {cpu:6.2f} s CPU  {dict(sorted(statuses.items()))}",
                flush=True,
            )
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
