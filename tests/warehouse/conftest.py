"""Fixtures for the warehouse tests; the endpoint itself comes from tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Make `warehouse.settings` resolve to the embedded endpoint regardless of the developer's shell.

    Without this a `CLICKHOUSE_HOST` exported in the shell or a `.env` in the checkout would send the
    tests to some other server.
    """
    import warehouse.settings

    for key in warehouse.settings.ENV_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(warehouse.settings, "PROJECT_ROOT", tmp_path)
    monkeypatch.chdir(tmp_path)
