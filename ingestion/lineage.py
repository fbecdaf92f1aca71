"""Lineage helpers: the file hash that identifies a delivery, and the batch stamp a load adds.

The hash is of the bytes, not the name, so the same bill delivered twice under two names is recognised
as one delivery, while a different file with overlapping lines is not (and is loaded: reconciliation
must see it).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

import polars as pl


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def new_batch_id() -> str:
    return uuid.uuid4().hex


def stamp_batch(frame: pl.DataFrame, *, batch_id: str, loaded_at: datetime | None = None) -> pl.DataFrame:
    """Add load_batch_id and loaded_at, the two lineage columns only the loader knows."""
    when = (loaded_at or datetime.now(UTC)).astimezone(UTC)
    return frame.with_columns(
        pl.lit(batch_id, pl.Utf8).alias("load_batch_id"),
        pl.lit(when).cast(pl.Datetime("ms", "UTC")).alias("loaded_at"),
    )
