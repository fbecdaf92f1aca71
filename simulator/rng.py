"""Per-stream, per-day random generators.

A file for day d must depend only on the run's arguments and days <= d, so that `--append` can
re-simulate a longer horizon and leave every existing file byte-identical. Drawing every day's numbers
from a generator seeded by (seed, stream, day) gives that property for free: no state is carried in a
generator from one day to the next, and adding a stream never shifts the numbers of another.
"""

from __future__ import annotations

from datetime import date

import numpy as np

# Stream ids: never renumber, only append (renumbering changes every file of every seed).
ORDERS = 1
FX = 2
OPENING_STOCK = 3
RECEIPTS = 4
ADJUSTMENTS = 5
INVENTORY_ERRORS = 6
DATA_FAULTS = 7
SKUS = 8
SHIPMENTS = 9


def day_rng(seed: int, stream: int, day: date) -> np.random.Generator:
    """The generator for one stream on one business day."""
    return np.random.default_rng([seed, stream, day.toordinal()])


def static_rng(seed: int, stream: int) -> np.random.Generator:
    """The generator for things fixed for the whole business (the SKU catalog, opening stock)."""
    return np.random.default_rng([seed, stream, 0])
