"""Run the real dbt project in-process (dbtRunner), the way the orchestration will."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assets.dbt_args import location_args, vars_args
from tallyhouse.home import PROJECT_ROOT

PROJECT = PROJECT_ROOT / "dbt_project"
DBT_DATABASES = ("staging", "intermediate", "marts")


@dataclass
class DbtRun:
    success: bool
    statuses: dict[str, str]
    messages: dict[str, str]

    @property
    def failures(self) -> dict[str, str]:
        """Each node that did not succeed, with dbt's message (the database error, the failing rows)."""
        return {uid: f"{s}: {self.messages.get(uid) or ''}" for uid, s in self.statuses.items()
                if s not in ("success", "pass")}


def dbt(args: list[str], work: Path, variables: dict[str, str] | None = None) -> DbtRun:
    """`dbt <args>` against the project, writing target/ and logs/ under `work`, not into the checkout."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke([
        *args, *vars_args(variables), *location_args(PROJECT, PROJECT, work),
        "--no-send-anonymous-usage-stats",
        "--quiet",
    ])
    statuses, messages = {}, {}
    if result.result is not None and hasattr(result.result, "results"):
        statuses = {r.node.unique_id: str(r.status) for r in result.result.results}
        messages = {r.node.unique_id: str(r.message) for r in result.result.results}
    elif result.exception is not None:
        messages = {"<dbt>": str(result.exception)}
        statuses = {"<dbt>": "error"}
    return DbtRun(bool(result.success), statuses, messages)
