"""Three simulated business days run through the real pipeline (Dagster job: ingestion, then dbt) once
per session, on the session's embedded endpoint, with the Dagster instance in a throwaway home.

The dates are ones no other test loads (raw is shared by the session).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from warehouse.environ import patched_environ

START = date(2026, 7, 1)
DAYS = 3


@dataclass(frozen=True)
class PipelineBusiness:
    landing: Path
    dagster_home: Path
    report: object  # orchestration.pipeline_run.PipelineReport

    @property
    def dates(self) -> list[date]:
        return [START + timedelta(days=i) for i in range(DAYS)]


@pytest.fixture(scope="session")
def pipeline_business(tmp_path_factory: pytest.TempPathFactory, endpoint) -> Iterator[PipelineBusiness]:
    from simulator import simulate

    root = tmp_path_factory.mktemp("orchestration")
    landing, home = root / "landing", root / "dagster"
    simulate(landing, start=START, days=DAYS, orders_per_day=100, seed=5, skus=120)
    from orchestration.pipeline_run import run_pipeline

    with patched_environ({"TALLYHOUSE_LANDING": str(landing), "DAGSTER_HOME": str(home)}):
        report = run_pipeline(START, START + timedelta(days=DAYS - 1), log_level="WARNING")
        yield PipelineBusiness(landing, home, report)
