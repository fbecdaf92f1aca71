"""The arguments of a run, persisted so that `--append` continues the same business.

Everything that shapes the files is here; `<out>/_manifest/params.json` stores it. Appending reloads
the stored parameters (only `days` grows), so an appended run is by construction the same business as
one longer run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta
from pathlib import Path


@dataclass(frozen=True)
class SimParams:
    start: date
    days: int
    orders_per_day: int
    seed: int
    skus: int = 800
    # Order life cycle (shares of orders).
    cancel_rate: float = 0.04
    return_rate: float = 0.03
    refund_rate: float = 0.02
    # Planted errors, expected count per week (at least one of each kind per 7 days is guaranteed).
    count_discrepancies_per_week: float = 4.0
    unrecorded_damage_per_week: float = 2.0
    late_documents_per_week: float = 1.0
    adjustments_per_day: float = 6.0
    malformed_rows_per_week: float = 3.0
    # Day index (0-based) whose Douyin export is cut mid-row; negative for none.
    truncated_file_day: int = 6
    # Volume shocks (default none): (channel, ISO date, factor) multiplies that channel's orders on that
    # date, e.g. 0.2 for a collapse, 3.0 for a spike; for proving the anomaly detector. Left out of
    # params.json when empty, so runs without shocks write the same bytes as before the option existed.
    volume_shocks: tuple[tuple[str, str, float], ...] = ()

    @property
    def end(self) -> date:
        """First date after the horizon (exclusive end)."""
        return self.start + timedelta(days=self.days)

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]

    def to_json(self) -> str:
        data = asdict(self)
        data["start"] = self.start.isoformat()
        if not self.volume_shocks:
            del data["volume_shocks"]
        return json.dumps(data, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SimParams:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"params.json has unknown keys {unknown}")
        data["start"] = date.fromisoformat(data["start"])
        data["volume_shocks"] = tuple(tuple(shock) for shock in data.get("volume_shocks", ()))
        return cls(**data)

    def validate(self) -> None:
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.orders_per_day < 1:
            raise ValueError("orders_per_day must be at least 1")
        if self.skus < 10:
            raise ValueError("skus must be at least 10")
        for channel, day, factor in self.volume_shocks:
            date.fromisoformat(day)
            if factor < 0:
                raise ValueError(f"volume shock {channel} {day}: factor must be >= 0, not {factor}")

    def shock(self, channel: str, day: date) -> float:
        """The volume multiplier planted for a channel on a date (1 when none)."""
        factor = 1.0
        for shocked, shocked_day, multiplier in self.volume_shocks:
            if shocked == channel and shocked_day == day.isoformat():
                factor *= multiplier
        return factor


RATE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(SimParams) if f.name not in ("start", "days", "orders_per_day", "seed", "skus", "volume_shocks")
)


def params_path(out: Path) -> Path:
    return out / "_manifest" / "params.json"
