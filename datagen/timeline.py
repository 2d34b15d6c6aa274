"""Days and times of day: epoch-day arithmetic and the shape of a shopping day."""

import datetime as dt

import numpy as np

from datagen.randomness import cdf_of

EPOCH = dt.date(1970, 1, 1)
SECONDS_PER_DAY = 86_400

# Relative activity per hour of the day (00-01 ... 23-24): quiet nights, a
# morning rise, an evening peak. Orders and sessions both follow it.
HOUR_WEIGHTS = (1.2, 0.8, 0.5, 0.4, 0.4, 0.6, 1.2, 2.2, 3.2, 3.9, 4.3, 4.6,
                4.9, 4.7, 4.6, 4.6, 4.7, 5.0, 5.6, 6.2, 6.6, 6.2, 4.6, 2.6)
_HOUR_CDF = np.concatenate([[0.0], cdf_of(HOUR_WEIGHTS)])
_HOUR_EDGES = np.arange(25, dtype=np.float64) * 3600


def epoch_day(date):
    """datetime.date -> days since 1970-01-01."""
    return (date - EPOCH).days


def from_epoch_day(day):
    return EPOCH + dt.timedelta(days=int(day))


def second_of_day(quantile):
    """The second of the day at each quantile (0 <= q < 1) of the day's activity.

    Non-decreasing in the quantile: feeding it ``(j + u) / count`` for the
    j-th of `count` events (u uniform in [0, 1)) spreads them over the day
    in order, which keeps each day's events sorted without a sort.
    """
    seconds = np.interp(quantile, _HOUR_CDF, _HOUR_EDGES).astype(np.int64)
    return np.minimum(seconds, SECONDS_PER_DAY - 1)
