"""Batch work that allocates many short-lived objects next to a large live heap.

A warm engine holds a few hundred thousand container objects (the index's documents, the
analyzer's dictionary), and ranking a chunk of needs allocates a few hundred thousand more
(per-pair lists, the candidates and their feature dicts). CPython's cyclic collector runs
every few hundred allocations and now and then traverses the whole heap; during a full run
that was about a third of the ranking's time (2.2 s against 3.5 s a chunk of 1,000 needs on
the 10,000 × 100,000 province), for no garbage: what a chunk allocates is freed by
reference counting. :func:`collector_paused` turns the collector off for such a batch.

The collector is one switch per process, so only a process's main thread pauses it (a
Celery prefork child, a sync gunicorn worker, a management command): in a thread of a
threaded server, pauses of several threads could overlap for as long as requests keep
coming, and the other threads' cyclic garbage would pile up meanwhile. There the block
runs with the collector as it is.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (reference counting still frees
    everything without cycles), in the main thread only. Nested blocks are counted: the
    collector is turned back on, if it was on, when the outermost ends, and a collection of
    the youngest generation then picks up any cycle made meanwhile."""
    global _depth, _was_enabled  # one process-wide switch, under a lock
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with _LOCK:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _LOCK:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
                gc.collect(0)
