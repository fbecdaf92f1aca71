"""Dagster resources: where ClickHouse is and where landing files arrive.

Both default to the project's one configuration (`warehouse.settings`, `tallyhouse.home.landing_dir`),
so `dagster dev` talks to the same warehouse and landing root as the `tallyhouse` CLI; fields set here
override them for a deployment or a test.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import ConfigurableResource

from tallyhouse.home import landing_dir
from warehouse.client import get_client
from warehouse.settings import WarehouseSettings

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client


class ClickHouseResource(ConfigurableResource):
    """A clickhouse-connect client for the configured warehouse (embedded chDB endpoint by default)."""

    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: str | None = None
    secure: bool = False

    def get_client(self, **kwargs: Any) -> Client:
        if not self.host:
            return get_client(**kwargs)
        settings = WarehouseSettings(host=self.host, port=self.port or (8443 if self.secure else 8123),
                                     user=self.user or "default", password=self.password or "",
                                     secure=self.secure, readonly=False, embedded=False)
        return get_client(settings=settings, **kwargs)


class LandingResource(ConfigurableResource):
    """The landing root: `root` if set, else $TALLYHOUSE_LANDING, else data/landing."""

    root: str | None = None

    def path(self) -> Path:
        return Path(self.root).expanduser() if self.root else landing_dir()
