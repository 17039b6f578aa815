"""Graceful shutdown: on SIGTERM, readiness turns 503 at once, and the server is told to stop
only after a drain period, so load balancers take the replica out of rotation before it stops
accepting connections; uvicorn then lets in-flight requests finish
(`--timeout-graceful-shutdown`). A second SIGTERM stops at once.

uvicorn alone would close its listener on the first SIGTERM and run the app's shutdown only
after the last connection closed: readiness would never get the chance to say 503.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


@contextmanager
def drain_on_sigterm(begin_drain: Callable[[], None], drain_s: float) -> Iterator[None]:
    """While inside, SIGTERM calls `begin_drain()` and hands the signal to the server's own
    handler `drain_s` seconds later. Outside uvicorn's main thread (tests, other servers that
    do not handle SIGTERM themselves) it changes nothing."""
    previous = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or not callable(previous):
        yield
        return
    loop = asyncio.get_running_loop()
    pending: list[asyncio.TimerHandle] = []

    def on_sigterm() -> None:
        if pending:  # the second SIGTERM: no more waiting
            pending[0].cancel()
            previous(signal.SIGTERM, None)
            return
        begin_drain()
        logger.info("SIGTERM: draining for %g s before shutting down", drain_s)
        pending.append(loop.call_later(drain_s, previous, signal.SIGTERM, None))

    loop.add_signal_handler(signal.SIGTERM, on_sigterm)
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, previous)
