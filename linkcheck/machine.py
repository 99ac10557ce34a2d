"""What a process of linkcheck's own asks of the machine: how many helper processes to start,
and how often to collect garbage. Plain functions; the library calls neither by itself."""

from __future__ import annotations

import os

# Helper processes a stage starts at most (PDF page readers, checking workers): beyond four,
# each one's start-up and memory cost more than the cores it would use bring.
MAX_PROCESSES = 4


def default_processes() -> int:
    """One per core this process may run on (containers and taskset included), at most
    MAX_PROCESSES."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PROCESSES))


def tune_collector() -> None:
    """For a process that runs linkcheck and nothing else (the command, a checking worker).

    A run allocates millions of short-lived objects (responses, headers, page text), and the
    collector ran every 700 of them. Every 10,000: about 5 % less CPU on 3,000 links, the same
    peak memory on 10,000 (docs/PERFORMANCE.md). The library leaves the collector alone."""
    import gc

    gc.set_threshold(10_000, 10, 10)
