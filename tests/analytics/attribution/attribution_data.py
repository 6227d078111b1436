"""Small deterministic data sets shared by the attribution tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

CHANNELS = ["Direct", "Email", "Paid Search", "Social", "Webinar", "Sales Call", "Demo"]


def ts(day: float) -> pd.Timestamp:
    return pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=day)


def generated(seed: int = 7, journeys: int = 300) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Random touch/conversion tables with milestones, teams and campaigns."""
    rng = np.random.default_rng(seed)
    tp, cv = [], []
    for j in range(journeys):
        n = int(rng.integers(1, 7))
        days = np.sort(rng.choice(np.arange(0, 200), size=n, replace=False)).astype(float)
        chans = rng.choice(CHANNELS, size=n)
        for d, ch in zip(days, chans, strict=True):
            team = "sales" if ch in ("Sales Call", "Demo") else "marketing"
            tp.append((f"j{j}", ts(d), str(ch), team, f"camp{int(rng.integers(0, 4))}"))
        if rng.random() < 0.4:
            end = days[-1] + float(rng.integers(0, 5))
            lead = days[0] + float(rng.integers(0, 3))
            cv.append((f"j{j}", "lead_created", ts(min(lead, end)), 0.0))
            if rng.random() < 0.6:
                cv.append((f"j{j}", "opportunity_created", ts(end - 1), 500.0))
            cv.append((f"j{j}", "deal_won", ts(end), float(rng.integers(1, 50)) * 100))
    touch = pd.DataFrame(tp, columns=["journey_id", "occurred_at", "channel", "team", "campaign"])
    conv = pd.DataFrame(cv, columns=["journey_id", "kind", "occurred_at", "value"])
    return touch, conv
