"""The sparse classification result shared by the artefact modules."""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

__all__ = ["Detection", "IntArray", "in_sorted", "union", "unique", "without"]

IntArray = npt.NDArray[np.int64]


def in_sorted(x: IntArray, members: IntArray) -> npt.NDArray[np.bool_]:
    """``np.isin(x, members)`` for sorted ``members``, by binary search (the index
    arrays here hold a few entries, where ``np.isin``'s own set-up costs most)."""
    if members.size == 0:
        return np.zeros(x.shape, dtype=bool)
    at = np.minimum(members.searchsorted(x), members.size - 1)
    return np.asarray(members[at] == x)


def unique(x: IntArray) -> IntArray:
    """``np.unique(x)`` for a 1-D integer array, by one sort (the index arrays here hold a
    few entries, where ``np.unique``'s own set-up costs most)."""
    s = np.sort(x)
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def union(a: IntArray, b: IntArray) -> IntArray:
    """``np.union1d(a, b)`` for 1-D integer arrays (see :func:`unique`)."""
    return unique(np.concatenate((a, b)))


def without(x: IntArray, members: IntArray) -> IntArray:
    """``np.setdiff1d(x, members, assume_unique=True)`` for sorted ``members``."""
    return x[~in_sorted(x, members)]


@dataclasses.dataclass(frozen=True, eq=False)
class Detection:
    """Sorted indices of the flagged input intervals (sparse: artefacts are rare).

    ``ectopic_center``: intervals ``i`` whose starting beat is ectopic (intervals
    ``i - 1`` and ``i`` are both labelled ectopic, listed in ``ectopic``);
    ``extra_first``: first interval of each pair to merge; ``missed`` with
    ``missed_parts``: intervals to split and into how many equal parts; ``dropped``:
    intervals removed as part of a run too long to correct (their class is not kept).
    """

    n: int
    ectopic_center: IntArray
    ectopic: IntArray
    extra_first: IntArray
    missed: IntArray
    missed_parts: IntArray
    long: IntArray
    short: IntArray
    dropped: IntArray

    @property
    def clean(self) -> bool:
        """No interval flagged: every class is empty."""
        return not (self.ectopic_center.size or self.ectopic.size or self.extra_first.size
                    or self.missed.size or self.long.size or self.short.size
                    or self.dropped.size)

    @property
    def flagged(self) -> IntArray:
        """Every input interval whose value is changed, sorted and unique."""
        return unique(
            np.concatenate(
                (self.ectopic, self.extra_first, self.extra_first + 1, self.missed,
                 self.long, self.short, self.dropped)
            )
        )

    def take(self, index: IntArray, n: int, dropped: IntArray) -> Detection:
        """Map a detection made on the sub-series ``rr[index]`` back to ``n`` intervals,
        with ``dropped`` (indices of the full series) added to the dropped ones."""
        return Detection(
            n,
            index[self.ectopic_center],
            index[self.ectopic],
            index[self.extra_first],
            index[self.missed],
            self.missed_parts,
            index[self.long],
            index[self.short],
            union(index[self.dropped], dropped),
        )
