"""Bootstrap intervals over journeys for the data-driven models (Markov, Shapley).

Journeys with the same collapsed path (Markov) or the same channel set (Shapley) and the
same outcome are exchangeable, so resampling journeys with replacement is drawing
multinomial counts over those cells; each replicate refits the model on the resampled
counts. A converting cell's value is resampled at its mean value per conversion.
Conversions without touches ("(no touch)") are kept fixed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .result import Interval


def resample_cells(
    conv: np.ndarray, nulls: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One multinomial resample of journeys over (cell, outcome) counts."""
    counts = np.concatenate([np.rint(conv), np.rint(nulls)]).astype(np.int64)
    total = int(counts.sum())
    draw = rng.multinomial(total, counts / total)
    m = len(conv)
    return draw[:m].astype(float), draw[m:].astype(float)


def intervals(
    fit: Callable[[np.ndarray, np.ndarray, np.ndarray], dict[str, float]],
    conv: np.ndarray,
    value: np.ndarray,
    nulls: np.ndarray,
    *,
    keys: list[str],
    extra_conversions: float,
    n_boot: int,
    confidence: float,
    seed: int,
) -> tuple[Interval, ...]:
    """Percentile intervals of each key's credited conversions and share.

    ``fit(conv, value, nulls)`` returns the credited conversions per key for one
    replicate; ``extra_conversions`` (the fixed "(no touch)" count) enters the shares'
    denominator.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    rng = np.random.default_rng(seed)
    mean_value = np.divide(value, conv, out=np.zeros_like(value), where=conv > 0)
    draws = np.zeros((n_boot, len(keys)))
    shares = np.zeros((n_boot, len(keys)))
    for b in range(n_boot):
        c, u = resample_cells(conv, nulls, rng)
        credit = fit(c, c * mean_value, u)
        row = np.array([credit.get(k, 0.0) for k in keys])
        draws[b] = row
        total = c.sum() + extra_conversions
        shares[b] = row / total if total > 0 else 0.0
    lo, hi = (1 - confidence) / 2 * 100, (1 + confidence) / 2 * 100
    c_lo, c_hi = np.percentile(draws, [lo, hi], axis=0)
    s_lo, s_hi = np.percentile(shares, [lo, hi], axis=0)
    return tuple(
        Interval(k, float(c_lo[i]), float(c_hi[i]), float(s_lo[i]), float(s_hi[i]))
        for i, k in enumerate(keys)
    )
