"""Seeded random streams: one per dataset (and per purpose), one per chunk.

Every stream is a ``numpy.random.Generator(PCG64(...))`` seeded with the
SeedSequence child ``spawn_key=(stream, chunk)`` of the run's seed - exactly
what ``SeedSequence(seed).spawn(...)`` hands out, but addressable, so a chunk
can be regenerated alone (and in any process) and the output depends on the
seed, the options and the package versions only.
"""

import numpy as np

# Stream numbers: never renumber (it changes every output).
CUSTOMERS, REGIONS, ORDERS, ORDER_PLAN, CLICKSTREAM, INJECTIONS, BANDS = range(7)
FAKER_POOLS = 99  # used by datagen.pools


def stream(seed, kind, chunk=0):
    """The Generator of stream `kind`, chunk `chunk`, for `seed`."""
    sequence = np.random.SeedSequence(seed, spawn_key=(kind, chunk))
    return np.random.Generator(np.random.PCG64(sequence))


def draw_index(rng, cdf, size):
    """`size` draws of an index with cumulative probabilities `cdf` (last = 1)."""
    return np.searchsorted(cdf, rng.random(size), side="right").astype(np.int64)


def cdf_of(weights):
    """Cumulative distribution of non-negative weights, exactly 1.0 at the end."""
    w = np.asarray(weights, dtype=np.float64)
    cdf = np.cumsum(w / w.sum())
    cdf[np.flatnonzero(w)[-1]:] = 1.0  # no rounding gap lets a zero weight be drawn
    return cdf
