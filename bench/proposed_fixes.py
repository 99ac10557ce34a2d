"""The fix still proposed in docs/PERFORMANCE.md, applied in-process (monkeypatched) to a
`linkcheck` command line, so its effect can be measured before anyone edits linkcheck/.
Nothing in the repository changes; the patch reaches into private names and will break when
the code it replaces moves: it is a measuring aid and a precise description of the change,
not code to ship. (The claims, page, memory and probe fixes measured here earlier are now in
linkcheck itself.)

    bench/.venv/bin/python bench/proposed_fixes.py PATCHES -- audit FILE [options...]

PATCHES is a comma list (or "none"):
  pool    linkcheck/check/client.py: one httpcore pool per origin (host_concurrency + 2
          connections each) instead of one pool of concurrency + 8 connections that httpcore
          scans linearly (and quadratically, in its idle-connection check) on every request.
          Not applied yet: done this way the client no longer honours HTTP(S)_PROXY.
"""

import sys

patches = set(sys.argv[1].split(",")) if sys.argv[1] != "none" else set()
args = sys.argv[sys.argv.index("--") + 1 :]

if "pool" in patches:
    import httpx

    import linkcheck.check as checkpkg
    from linkcheck.check import client as clientmod

    class PerOrigin(httpx.AsyncBaseTransport):
        def __init__(self, config, ssl_context):
            self.config, self.ssl, self.pools = config, ssl_context, {}

        async def handle_async_request(self, request):
            key = (request.url.scheme, request.url.host, request.url.port)
            pool = self.pools.get(key)
            if pool is None:
                per = self.config.host_concurrency + 2
                pool = self.pools[key] = httpx.AsyncHTTPTransport(
                    verify=self.ssl,
                    http2=True,
                    limits=httpx.Limits(max_connections=per, max_keepalive_connections=per),
                )
            return await pool.handle_async_request(request)

        async def aclose(self):
            for pool in self.pools.values():
                await pool.aclose()

    def make_client(config):
        ctx = clientmod.make_ssl_context(config)
        return httpx.AsyncClient(
            http2=True,
            follow_redirects=False,
            trust_env=True,
            verify=ctx,
            transport=PerOrigin(config, ctx),
            timeout=httpx.Timeout(config.timeout),
            max_redirects=config.max_redirects,
            headers={
                "User-Agent": config.user_agent,
                "Accept": clientmod.ACCEPT,
                "Accept-Language": "en",
            },
        )

    clientmod.make_client = make_client
    checkpkg.make_client = make_client

from linkcheck.cli import main  # noqa: E402

sys.exit(main(args))
