"""Predictions run off the event loop, on a bounded pool of threads, with a deadline.

The event loop only parses requests and writes answers; the model runs in one of
`max_concurrency` threads, so a slow batch never stalls health probes or other requests. A
request that finds every slot taken is refused at once (429, so the client or the load balancer
tries another replica) rather than queued behind work it cannot see. A slot is freed when the
model call ends, not when its request times out: the bound holds for the work actually running.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from .errors import Overloaded, PredictionTimeout

T = TypeVar("T")


class PredictionRunner:
    def __init__(self, max_concurrency: int, timeout_s: float) -> None:
        self.max_concurrency = max_concurrency
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(max_concurrency)
        self._executor = ThreadPoolExecutor(max_concurrency, thread_name_prefix="predict")

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` in a thread; Overloaded when all slots are busy, PredictionTimeout after
        `timeout_s` (the thread finishes its call in the background)."""
        if not self._slots.acquire(blocking=False):
            raise Overloaded(
                f"all {self.max_concurrency} prediction slots of this worker are busy",
                headers={"Retry-After": "1"},
            )
        try:
            future = self._executor.submit(work)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(self._release)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
        except TimeoutError:
            raise PredictionTimeout(
                f"the prediction took longer than {self.timeout_s:g} s"
            ) from None

    def close(self) -> None:
        """Let running predictions finish; start no new ones."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _release(self, _: Future[object]) -> None:
        self._slots.release()
