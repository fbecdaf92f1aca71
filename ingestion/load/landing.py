"""The landing layout: `<landing>/<source>/<YYYY-MM-DD>/<file>`.

Names starting with "." or "_" (the simulator's `_manifest`, editor and partial-copy files) and
in-flight copies (`*.part`, `*.tmp`) are not deliveries.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

_IN_FLIGHT_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload")


def is_delivery(name: str) -> bool:
    return not name.startswith((".", "_")) and not name.endswith(_IN_FLIGHT_SUFFIXES)


def landing_sources(landing: Path, business_date: date | None = None) -> list[str]:
    """Source folders under the landing root (those with a folder for `business_date`, when given)."""
    if not landing.is_dir():
        return []
    sources = sorted(p.name for p in landing.iterdir() if p.is_dir() and is_delivery(p.name))
    if business_date is None:
        return sources
    return [s for s in sources if (landing / s / business_date.isoformat()).is_dir()]


def landing_files(landing: Path, source: str, business_date: date) -> list[Path]:
    """The files delivered for one source and day, in name order (so an original precedes `_resend`)."""
    folder = landing / source / business_date.isoformat()
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and is_delivery(p.name))


def parse_landing_path(landing: Path, path: Path) -> tuple[str, date] | None:
    """(source, business date) of a file under the landing root, or None if it is not a delivery."""
    try:
        parts = path.relative_to(landing).parts
    except ValueError:
        return None
    if len(parts) != 3 or not all(is_delivery(p) for p in parts):
        return None
    try:
        return parts[0], date.fromisoformat(parts[1])
    except ValueError:
        return None
