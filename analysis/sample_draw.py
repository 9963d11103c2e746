"""A stratified simple random sample with proportional allocation, drawn so that anyone with
the recorded seed and the same frame gets exactly the same sample, on any machine and with any
numpy version.

Allocation (proportional, largest remainder)
--------------------------------------------
With a frame of N units in strata of N_h units and a wanted sample of n (n ≤ N), stratum h's
quota is q_h = n · N_h / N. Each stratum first gets ⌊q_h⌋; the n − Σ⌊q_h⌋ units left over go
one each to the strata with the largest fractional parts q_h − ⌊q_h⌋, ties broken by the
stratum order (the order of the input, which callers sort by stratum key). This is Hamilton's
largest-remainder rounding: the n_h add up to n exactly and never differ from q_h by a whole
unit, and n_h ≤ N_h always holds (a stratum gets the extra unit only when q_h is not whole,
so n_h ≤ ⌈q_h⌉ ≤ N_h). A wanted size above N takes the whole frame.

The draw
--------
Within each stratum every unit gets the key SHA-256("<seed>:<stratum>:<unit id>") and the n_h
units with the smallest keys are taken. The keys behave as independent uniform random numbers,
so taking the smallest n_h is a simple random sample without replacement (the "random sort"
method: sort the frame on a random key, take the first n_h; Tillé, *Sampling Algorithms*,
2006, §4.5). Unlike a generator's stream (numpy's ``Generator`` may change streams between
versions), a hash is fixed forever, and one unit's key does not depend on which other units are
in the frame, so a late addition to the frame changes the sample only by what it displaces.

Example:

>>> allocate_proportional([50, 30, 20], 7).tolist()  # quotas 3.5, 2.1, 1.4 → 3, 2, 1 + 1
[4, 2, 1]
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["allocate_proportional", "draw_stratum", "frame_digest"]


def allocate_proportional(frame_sizes: npt.ArrayLike, sample_size: int) -> np.ndarray:
    """Sample size per stratum, proportional to ``frame_sizes`` (largest-remainder rounding;
    see the module docstring). Raises ValueError naming the bad argument."""
    sizes = np.asarray(frame_sizes, dtype="int64")
    if sizes.ndim != 1 or np.any(sizes < 0):
        raise ValueError("frame_sizes must be a list of whole numbers ≥ 0")
    if isinstance(sample_size, bool) or not isinstance(sample_size, (int, np.integer)) \
            or sample_size < 0:
        raise ValueError(f"sample_size must be a whole number ≥ 0, got {sample_size!r}")
    total = int(sizes.sum())
    if sample_size >= total:
        return sizes.copy()
    # Exact integer arithmetic: q_h = n·N_h / N as a floor and a remainder over N.
    floors, remainders = np.divmod(sizes * sample_size, total)
    left = sample_size - int(floors.sum())
    # Largest remainder first; the stable sort keeps the input order among ties.
    order = np.argsort(-remainders, kind="stable")
    floors[order[:left]] += 1
    return floors


def _key(seed: int, stratum: str, unit_id: int) -> bytes:
    return hashlib.sha256(f"{seed}:{stratum}:{unit_id}".encode()).digest()


def draw_stratum(unit_ids: Sequence[int], size: int, *, seed: int, stratum: str) -> list[int]:
    """The ``size`` units of one stratum with the smallest keys (module docstring), sorted by
    id. ``stratum`` is the stratum's label, part of every key so strata draw independently."""
    if size < 0 or size > len(unit_ids):
        raise ValueError(f"size must lie between 0 and {len(unit_ids)}, got {size!r}")
    ranked = sorted(unit_ids, key=lambda unit_id: _key(seed, stratum, int(unit_id)))
    return sorted(int(unit_id) for unit_id in ranked[:size])


def frame_digest(unit_ids: Sequence[int]) -> str:
    """SHA-256 of the sorted ids: equal digests mean the same frame."""
    text = ",".join(str(int(unit_id)) for unit_id in sorted(unit_ids))
    return hashlib.sha256(text.encode()).hexdigest()
