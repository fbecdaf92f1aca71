"""Fixtures for the ingestion tests; the helpers themselves live in ingest_helpers.py."""

from __future__ import annotations

import pytest
from ingest_helpers import bill_mapping as _bill_mapping
from ingest_helpers import orders_mapping as _orders_mapping

from ingestion.mapping import Mapping


@pytest.fixture(scope="session")
def bill_mapping() -> Mapping:
    return _bill_mapping()


@pytest.fixture(scope="session")
def orders_mapping() -> Mapping:
    return _orders_mapping()
