"""Environment variables set for a block and restored exactly afterwards.

Child tools (dbt, Dagster) read their settings from the environment, while a long-lived process (the CLI,
the test session) keeps resolving its own: each side of the block must see what it expects, so the previous
values are put back, and a variable that was unset is unset again rather than left empty.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def patched_environ(values: Mapping[str, str]) -> Iterator[None]:
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
