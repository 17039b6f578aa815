"""Input drift: how far the last rows the service saw are from the training distribution.

Each feature's values are binned with the training quantile edges (the model's
`reference["features"][name]["edges"]`) and compared with the training proportions by the
population stability index, PSI = sum((p - q) * ln(p / q)). Under 0.1 is stable, 0.1 to 0.2 a
shift worth watching, over 0.2 a shift that calls for a look (the PredictionDrift alert).

The window is bounded: a ring buffer of the last `capacity` rows' bins, so memory and work per
request stay constant however long the service runs, and old traffic ages out.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

EPSILON = 1e-4
"""Floor for proportions, so an empty bin gives a large but finite PSI instead of infinity."""


class DriftWindow:
    """Bin counts of the last `capacity` rows, per feature, against training proportions."""

    def __init__(
        self, features: Sequence[str], reference: Mapping[str, Any], capacity: int
    ) -> None:
        """`reference` maps each feature to `{"edges": [...], "proportions": [...]}`; a feature
        may have fewer bins than another (repeated quantiles of a discrete feature collapse)."""
        self.features = tuple(features)
        self.capacity = capacity
        self._cuts: list[np.ndarray] = []
        offsets = [0]
        expected: list[float] = []
        for name in self.features:
            edges = np.asarray(reference[name]["edges"], dtype=float)
            proportions = np.asarray(reference[name]["proportions"], dtype=float)
            if edges.ndim != 1 or len(proportions) != len(edges) - 1 or len(proportions) < 1:
                raise ValueError(f"reference of {name!r}: needs n + 1 edges for n proportions")
            if np.any(np.diff(edges) < 0):
                raise ValueError(f"reference of {name!r}: edges are not sorted")
            self._cuts.append(edges[1:-1])  # outer bins stretch to +-infinity
            offsets.append(offsets[-1] + len(proportions))
            expected.extend(proportions)
        self._offsets = np.asarray(offsets[:-1])
        self._offset_list = offsets[:-1]
        self._cut_lists = [cuts.tolist() for cuts in self._cuts]
        self._expected = np.clip(np.asarray(expected), EPSILON, None)
        self._counts = np.zeros(offsets[-1], dtype=np.int64)
        self._bins = np.zeros((capacity, len(self.features)), dtype=np.int64)
        self._next = 0
        self._rows = 0
        self._lock = threading.Lock()

    @property
    def rows(self) -> int:
        """Rows in the window: the sample size the PSI stands on."""
        return self._rows

    def add(self, matrix: np.ndarray) -> None:
        """Count the rows of `matrix` (rows x features), forgetting the oldest beyond capacity."""
        rows = matrix[-self.capacity :]
        if len(rows) == 1:  # the common case: a few microseconds, where numpy takes tens
            bins = self._bin_row(rows[0].tolist())
            with self._lock:
                self._add_one(bins)
        elif len(rows) > 1:
            many = self._bin_matrix(rows)
            with self._lock:
                self._add_many(many)

    def _add_one(self, bins: list[int]) -> None:
        slot = self._next
        if self._rows == self.capacity:
            self._counts[self._bins[slot]] -= 1  # a row's bins are distinct: one per feature
        else:
            self._rows += 1
        self._bins[slot] = bins
        self._counts[bins] += 1
        self._next = (slot + 1) % self.capacity

    def _add_many(self, bins: np.ndarray) -> None:
        count = len(bins)
        slots = (self._next + np.arange(count)) % self.capacity
        leaving = max(0, self._rows + count - self.capacity)  # rows overwritten in the ring
        if leaving:
            old = self._bins[slots[count - leaving :]]
            self._counts -= np.bincount(old.ravel(), minlength=len(self._counts))
        self._bins[slots] = bins
        self._counts += np.bincount(bins.ravel(), minlength=len(self._counts))
        self._next = int(slots[-1] + 1) % self.capacity
        self._rows = min(self._rows + count, self.capacity)

    def psi(self) -> dict[str, float]:
        """PSI per feature over the current window (all zeros while the window is empty)."""
        with self._lock:
            rows, counts = self._rows, self._counts.copy()
        if rows == 0:
            return dict.fromkeys(self.features, 0.0)
        observed = np.clip(counts / rows, EPSILON, None)
        terms = (observed - self._expected) * np.log(observed / self._expected)
        return dict(zip(self.features, np.add.reduceat(terms, self._offsets).tolist(), strict=True))

    def _bin_row(self, values: list[float]) -> list[int]:
        """Each value's bin, as an index into the flat counts of all features."""
        return [
            bisect.bisect_right(cuts, value) + offset
            for cuts, value, offset in zip(self._cut_lists, values, self._offset_list, strict=True)
        ]

    def _bin_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """`_bin_row` for every row, with numpy."""
        bins = np.empty(matrix.shape, dtype=np.int64)
        for column, (cuts, offset) in enumerate(zip(self._cuts, self._offset_list, strict=True)):
            bins[:, column] = np.searchsorted(cuts, matrix[:, column], side="right") + offset
        return bins
