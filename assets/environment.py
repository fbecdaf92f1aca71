"""Which warehouse this process runs against (embedded chDB endpoint or an external server), decided in
one place.

Everything Dagster starts (ingestion through clickhouse-connect, dbt as a child process) must reach the
same ClickHouse; `warehouse.settings.resolve` is the only resolver, and this module turns its answer into
what each consumer needs: a name to show, and the `CLICKHOUSE_*` environment dbt's profile reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from warehouse.environ import patched_environ
from warehouse.settings import WarehouseSettings, resolve


@dataclass(frozen=True)
class Environment:
    """The resolved warehouse and how to tell a child tool about it."""

    settings: WarehouseSettings

    @property
    def name(self) -> str:
        return "embedded" if self.settings.embedded else "external"

    def describe(self) -> str:
        """For logs and run metadata: where the data went (no credentials)."""
        return f"{self.name} ClickHouse at {self.settings.http_url} (user {self.settings.user})"


def resolve_environment(*, start_embedded: bool = True) -> Environment:
    """Resolve the warehouse; the embedded endpoint is started on demand unless told not to (definition
    loading must not start servers, only runs may)."""
    return Environment(resolve(start_embedded=start_embedded))


@contextmanager
def exported(environment: Environment) -> Iterator[None]:
    """The warehouse's `CLICKHOUSE_*` values in this process's environment while a child tool (dbt) is
    started, so it connects where clickhouse-connect does (like `eval "$(tallyhouse env)"` for a shell);
    restored afterwards so a long-lived process (tests, the CLI) keeps resolving as before."""
    with patched_environ(environment.settings.environment()):
        yield
