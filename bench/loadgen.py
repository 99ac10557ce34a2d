"""How fast the benchmark server answers when it adds no latency: a keep-alive HTTP/1.1 load
generator (asyncio protocols, no parsing beyond Content-Length) that runs in its own process.

    python bench/loadgen.py --port P [--concurrency 64] [--seconds 3] [--max-requests 40000]

Prints one JSON line: requests, seconds, requests_per_second, megabytes_per_second. The figure
is a lower bound of the server's capacity: on 2 cores the generator is often the slower side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time


class Client(asyncio.Protocol):
    def __init__(self, host: str, port: int, state: dict[str, float], done: asyncio.Future[None]):
        self.host = f"{host}:{port}"
        self.state = state
        self.done = done
        self.buffer = b""
        self.need = -1  # body bytes still to read; -1 while reading headers
        self.transport: asyncio.Transport | None = None
        self.n = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._send()

    def _send(self) -> None:
        state = self.state
        if state["requests"] >= state["max"] or time.monotonic() >= state["deadline"]:
            assert self.transport is not None
            self.transport.close()
            return
        state["requests"] += 1
        self.n += 1
        request = f"GET /p/{self.n} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode()
        assert self.transport is not None
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.need < 0:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buffer[:end].lower()
                start = head.find(b"content-length:") + len(b"content-length:")
                self.need = int(head[start : head.find(b"\r\n", start)].strip() or 0)
                self.buffer = self.buffer[end + 4 :]
            if len(self.buffer) < self.need:
                return
            self.state["bytes"] += self.need
            self.state["answered"] += 1
            self.buffer = self.buffer[self.need :]
            self.need = -1
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def run(args: argparse.Namespace) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    hosts = [f"127.0.0.{n}" for n in range(1, args.hosts + 1)]
    state = {
        "requests": 0,
        "answered": 0,
        "bytes": 0,
        "max": args.max_requests,
        "deadline": time.monotonic() + args.seconds,
    }
    started = time.monotonic()
    waits = []
    for index in range(args.concurrency):
        done: asyncio.Future[None] = loop.create_future()
        host = hosts[index % len(hosts)]
        await loop.create_connection(
            lambda h=host, d=done: Client(h, args.port, state, d), host, args.port
        )
        waits.append(done)
    await asyncio.wait_for(asyncio.gather(*waits), timeout=args.seconds + 30)
    seconds = time.monotonic() - started
    return {
        "requests": state["answered"],
        "seconds": round(seconds, 3),
        "requests_per_second": round(state["answered"] / seconds, 1),
        "megabytes_per_second": round(state["bytes"] / seconds / 1e6, 1),
        "concurrency": args.concurrency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--max-requests", type=int, default=40_000)
    print(json.dumps(asyncio.run(run(parser.parse_args()))), flush=True)


if __name__ == "__main__":
    main()
