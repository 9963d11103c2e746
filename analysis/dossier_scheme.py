"""The TT 01/2018 rating scheme and the grades it gives (DOMAIN.md §2.3), for
``analysis.dossier_rating``, which re-exports them. Pure.

>>> official_band(4.75)  # 3.5 ≤ 4.75 < 5: 70 to under 100% of tasks
'partial'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

__all__ = ["INDICATORS", "TT01_2018", "RatingScheme", "grade", "official_band"]

INDICATORS = tuple(range(1, 10))


@dataclass(frozen=True)
class RatingScheme:
    """One rule set. Thresholds are lower bounds, highest first; the last one catches the rest.

    The defaults are TT 01/2018/TT-VPCP as DOMAIN.md §2.3 summarises it; those of indicator 9
    are TT 01/2018 Đ13's: 20% of the eligible procedures online and 30% of the dossiers
    submitted online for 2 points, 15% of the dossiers for 1 (the caller passes the values in
    force from the settings).
    """

    code: str = "tt01_2018"
    grades: tuple[tuple[float, str], ...] = (
        (15.0, "excellent"), (12.0, "good"), (9.0, "fair"), (6.0, "average"),
        (-math.inf, "weak"))
    official_indicators: tuple[int, ...] = (1, 2, 3, 4, 7)
    bands: tuple[tuple[float, str], ...] = (
        (5.0, "full"), (3.5, "partial"), (-math.inf, "low"))
    desk_all_points: float = 1.0
    pakn_partial_share: float = 0.9
    online_procedure_share: float = 0.2
    online_full_share: float = 0.3
    online_partial_share: float = 0.15

    def __post_init__(self) -> None:
        for name in ("pakn_partial_share", "online_procedure_share", "online_full_share",
                     "online_partial_share"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"scheme.{name} must be a share from 0 to 1, got {value!r}")
        if self.online_partial_share > self.online_full_share:
            raise ValueError("scheme.online_partial_share must not exceed "
                             f"scheme.online_full_share, got {self.online_partial_share!r} > "
                             f"{self.online_full_share!r}")
        if any(i not in INDICATORS for i in self.official_indicators):
            raise ValueError("scheme.official_indicators must be indicator numbers 1 to 9, "
                             f"got {self.official_indicators!r}")


TT01_2018 = RatingScheme()


def _pick(value: float, thresholds: tuple[tuple[float, str], ...]) -> str | None:
    if value is None or pd.isna(value):
        return None
    return next(label for low, label in thresholds if value >= low)


def grade(total: float, scheme: RatingScheme = TT01_2018) -> str | None:
    """The unit grade for a total out of 18, or None for NaN.

    ``excellent`` ≥ 15 (Xuất sắc), ``good`` 12–<15 (Tốt), ``fair`` 9–<12 (Khá), ``average``
    6–<9 (Trung bình), ``weak`` < 6 (Yếu). Source: TT 01/2018/TT-VPCP, DOMAIN.md §2.3. The
    total is compared unrounded: 14.96 is ``good`` even though it prints as 15.0.
    """
    return _pick(total, scheme.grades)


def official_band(score: float, scheme: RatingScheme = TT01_2018) -> str | None:
    """The band of an official score (indicators 1, 2, 3, 4, 7; out of 10), or None for NaN.

    ``full`` ≥ 5 (100% of tasks), ``partial`` 3.5–<5 (70 to under 100% of tasks), ``low`` < 3.5
    (under 70%). Source: TT 01/2018/TT-VPCP, DOMAIN.md §2.3.
    """
    return _pick(score, scheme.bands)
