"""Pure functions that build dbt command lines, so every caller (Dagster assets, the demo, the marts
tests) passes the business-date window and the artifact locations the same way.

The daily marts read a half-open window from the vars `min_date` (inclusive) and `max_date`
(exclusive); people think in inclusive ranges ("the 1st to the 3rd"), so the conversion lives here,
once, with tests.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path


@dataclass(frozen=True)
class Window:
    """A half-open range of business dates: start <= d < end."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"empty business-date window: {self.start} .. {self.end} (end is exclusive)")

    @classmethod
    def inclusive(cls, first: date, last: date) -> Window:
        """The window of the days first..last, both included."""
        return cls(first, last + timedelta(days=1))

    @classmethod
    def from_time_window(cls, start: datetime, end: datetime) -> Window:
        """From a Dagster partition time window (tz-aware midnights in the business time zone)."""
        return cls(start.date(), end.date())

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    def dbt_vars(self) -> dict[str, str]:
        return {"min_date": self.start.isoformat(), "max_date": self.end.isoformat()}


def vars_args(variables: dict[str, str] | None) -> list[str]:
    """`--vars` with a JSON mapping (valid YAML, no quoting trouble), or nothing."""
    return ["--vars", json.dumps(variables, sort_keys=True)] if variables else []


def build_args(command: str = "build", window: Window | None = None, *, select: str | None = None,
               full_refresh: bool = False) -> list[str]:
    """A dbt invocation without locations (dagster-dbt supplies those through the environment).

    Tests are selected `buildable`: a test runs in the invocation that builds the last of its parents.
    dbt's default (`eager`) would run a relationships test of a daily mart in the views' invocation,
    before the mart exists, because the view it points at is selected there. `full_refresh` recreates
    the incremental marts (after an upgrade changed their columns) holding only the window's days."""
    args = [command, "--indirect-selection", "buildable"]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", select]
    return args + vars_args(window.dbt_vars() if window else None)


def location_args(project_dir: Path, profiles_dir: Path, work_dir: Path) -> list[str]:
    """Where the project is and where target/ and logs/ go: under `work_dir`, never into the checkout."""
    return ["--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir),
            "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")]
