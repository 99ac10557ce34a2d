"""The fixes proposed in docs/PERFORMANCE.md, applied in-process (monkeypatched) to a
`linkcheck` command line, so their effect can be measured before anyone edits linkcheck/.
Nothing in the repository changes; the patches reach into private names and will break when
the code they replace moves: they are a measuring aid and a precise description of each
change, not code to ship.

    bench/.venv/bin/python bench/proposed_fixes.py PATCHES -- audit FILE [options...]

PATCHES is a comma list (or "none"):
  claims  linkcheck/claims: `_anchor_match` by bisect on a per-page index of sentence spans
          instead of a scan of every sentence per link; `_location` by bisect on precomputed
          line starts instead of str.count over the page; `_spans` from the first overlapping
          piece (bisect) instead of a scan (and a copy) of every piece of the unit.
  page    linkcheck/check/page.py: `parse_page` stops feeding the HTML parser once the title,
          the first <h1> and MAX_TOKENS tokens are known; ids/names come from a regex over the
          whole body (so fragment checks still see the whole page).
  pool    linkcheck/check/client.py: one httpcore pool per origin (host_concurrency + 2
          connections each) instead of one pool of concurrency + 8 connections that httpcore
          scans linearly (and quadratically, in its idle-connection check) on every request.
  mem     linkcheck/check/engine.py: results handed out through a queue fed by done-callbacks
          (asyncio.as_completed keeps its argument, so every finished CheckResult and its body
          stayed alive), done tasks dropped from Engine._tasks, and a page's Fetch dropped from
          Engine._fetches once the last URL sharing it (fragments) has used it.
  probe   linkcheck/check/engine.py: each host's soft-404 probe is queued before the host's
          pages. Today it is created when the first page comes back, so it waits behind every
          page already queued for the host, and each live page's check waits for it.
"""

import asyncio
import bisect
import re
import sys

patches = set(sys.argv[1].split(",")) if sys.argv[1] != "none" else set()
args = sys.argv[sys.argv.index("--") + 1 :]

if "claims" in patches:
    # importlib, not `from linkcheck.claims import segment`: the package's `segment` is the
    # function of that name, which shadows the module.
    import importlib

    match = importlib.import_module("linkcheck.claims.match")
    segment = importlib.import_module("linkcheck.claims.segment")
    from linkcheck.models import ClaimMatch, Location, MatchMethod

    _cache = {}

    def _index(sentences):
        key = id(sentences)
        hit = _cache.get(key)
        if hit is not None and hit[0] is sentences:
            return hit[1]
        pages = {}
        for i, s in enumerate(sentences):
            for p, start, end in s.spans:
                pages.setdefault(p, []).append((start, end, i))
        for spans in pages.values():
            spans.sort()
        index = {p: ([s for s, _, _ in v], v) for p, v in pages.items()}
        _cache[key] = (sentences, index)
        return index

    def _anchor_match(page, offset, sentences):
        entry = _index(sentences).get(page)
        if entry is None:
            return None
        starts, spans = entry
        k = bisect.bisect_right(starts, offset)
        # the first sentence (in reading order) covering offset; spans do not overlap in practice
        best = None
        j = k - 1
        while j >= 0 and j >= k - 4:
            start, end, i = spans[j]
            if start <= offset < end and (best is None or i < best):
                best = i
            j -= 1
        if best is not None:
            return ClaimMatch(sentences[best].claim, 1.0, MatchMethod.ANCHOR)
        if k:
            last = (
                max(i for _, _, i in spans[:k]) if k < 8 else max(i for _, _, i in spans[k - 8 : k])
            )
            return ClaimMatch(sentences[last].claim, 0.6, MatchMethod.ANCHOR)
        return None

    match._anchor_match = _anchor_match
    _lines = {}

    def _location(pages, source, page, offset):
        page_text = pages.get(page)
        if page_text is None or not page_text.line_map:
            return Location(source, page, None, None)
        key = id(page_text)
        hit = _lines.get(key)
        if hit is None or hit[0] is not page_text:
            starts = [0] + [m.end() for m in re.finditer("\n", page_text.text)]
            hit = _lines[key] = (page_text, starts)
        starts = hit[1]
        line_index = bisect.bisect_right(starts, offset) - 1
        line_start = starts[line_index]
        line_index = min(line_index, len(page_text.line_map) - 1)
        return Location(source, page, page_text.line_map[line_index], offset - line_start + 1)

    segment._location = _location

    def _spans(unit, start, end):
        starts = unit.starts
        spans = []
        n = len(starts)
        first = max(0, bisect.bisect_right(starts, start) - 1)
        for index in range(first, n):
            piece_start = starts[index]
            if piece_start >= end:
                break
            piece_end = starts[index + 1] if index + 1 < n else len(unit.text) + 1
            low, high = max(start, piece_start), min(end, piece_end)
            if low >= high:
                continue
            page, offset = unit.origins[index]
            begin = offset + low - piece_start
            finish = offset + high - piece_start + (1 if high == piece_end else 0)
            if spans and spans[-1][0] == page:
                spans[-1] = (page, spans[-1][1], finish)
            else:
                spans.append((page, begin, finish))
        return tuple(spans)

    segment._spans = _spans

if "page" in patches:
    import contextlib

    from linkcheck.check import engine
    from linkcheck.check.page import (
        MAX_TOKENS,
        Page,
        _Collector,
        collapse,
        declared_charset,
        decode,
        looks_like_html,
        media_type,
    )

    _ANCHOR = re.compile(
        r"""<[a-zA-Z][^>]*?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))"""
    )
    CHUNK = 16384

    def parse_page(body, content_type):
        charset = declared_charset(content_type, body)
        if not looks_like_html(content_type, body):
            toks = ()
            if media_type(content_type) == "text/plain":
                toks = tuple(decode(body, charset).split()[:MAX_TOKENS])
            return Page(is_html=False, charset=charset, tokens=toks)
        text = decode(body, charset)
        c = _Collector()
        with contextlib.suppress(Exception):
            for i in range(0, len(text), CHUNK):
                c.feed(text[i : i + CHUNK])
                if c.title_done and c.h1_done and len(c.tokens) >= MAX_TOKENS:
                    break  # everything but the anchors is known
            else:
                c.close()
        anchors = set(c.anchors)
        anchors.update(a or b or d for a, b, d in _ANCHOR.findall(text))
        return Page(
            is_html=True,
            charset=charset,
            title=collapse("".join(c.title_parts)) or None,
            h1=collapse("".join(c.h1_parts)) or None,
            anchors=frozenset(anchors),
            tokens=tuple(c.tokens),
            has_script=c.has_script,
        )

    engine.parse_page = parse_page

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

if "mem" in patches:
    from collections import Counter

    from linkcheck.check import engine

    E = engine.Engine

    class TaskSet(set):
        def append(self, task):
            self.add(task)
            task.add_done_callback(self.discard)

    orig_init = E.__init__

    def __init__(self, *a, **k):
        orig_init(self, *a, **k)
        self._tasks = TaskSet()
        self._users = Counter()

    async def run(self, urls):
        unique = list(dict.fromkeys(urls))
        self._users.update(u.partition("#")[0] for u in unique)
        loop = asyncio.get_running_loop()
        finished = asyncio.Queue()
        count = len(unique)
        for u in unique:
            t = loop.create_task(self.check(u))
            self._tasks.append(t)
            t.add_done_callback(finished.put_nowait)
        del unique
        try:
            for _ in range(count):
                t = await finished.get()
                yield t.result()
        finally:
            await self.aclose()

    orig_check = E.check

    async def check(self, url):
        try:
            return await orig_check(self, url)
        finally:
            key = url.partition("#")[0]
            self._users[key] -= 1
            if self._users[key] <= 0:
                self._fetches.pop(key, None)
                del self._users[key]

    E.__init__, E.run, E.check = __init__, run, check

if "probe" in patches:
    from linkcheck.check import engine as _eng
    from linkcheck.check.soft404 import origin as _origin
    from linkcheck.check.soft404 import probe_url as _probe_url

    _E = _eng.Engine
    _orig_run = _E.run

    def run(self, urls):
        urls = list(urls)
        for u in dict.fromkeys(_origin(x) for x in urls if x.startswith(("http://", "https://"))):
            self._shared(self._probes, u, lambda u=u: self._fetch(_probe_url(u + "/", self.rng)))
        return _orig_run(self, urls)

    _E.run = run
from linkcheck.cli import main  # noqa: E402

sys.exit(main(args))
