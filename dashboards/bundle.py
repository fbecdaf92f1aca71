"""The dashboards as code: Superset's own export bundle (YAML) under `dashboards/assets/`.

`import_bundle` zips the folder and posts it to Superset's asset import API (which overwrites by UUID,
so importing twice changes nothing). The database file carries no address or password: its URI is
filled in at import time from the warehouse's read-only settings. `export_bundle` fetches Superset's
export and `normalize` strips what changes between installs without changing a dashboard (export
timestamp, numeric ids in file names, the live URI, colours the browser records while rendering), so
re-exporting unchanged dashboards is a no-op diff.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from tallyhouse.home import PROJECT_ROOT

if TYPE_CHECKING:
    from dashboards.api import SupersetApi
    from warehouse.settings import WarehouseSettings

BUNDLE_DIR = PROJECT_ROOT / "dashboards" / "assets"
# What the database file says instead of a URI: the address and the read-only user come from the
# shared warehouse settings at import time, so no host, port or password is ever committed.
URI_PLACEHOLDER = "clickhousedb://readonly-user@warehouse-from-settings/default"
MASKED_PASSWORD = "XXXXXXXXXX"  # what Superset itself writes for a password in an export
EXPORT_TIMESTAMP = "1970-01-01T00:00:00+00:00"
# Dashboard metadata the frontend rewrites whenever a dashboard renders (assigned label colours).
VOLATILE_DASHBOARD_METADATA = ("map_label_colors", "shared_label_colors", "color_scheme_domain")
# Chart params naming database ids (the dataset's id, the chart's own, its dashboards'): the importer
# re-links charts by UUID, so these only differ between installs.
VOLATILE_CHART_PARAMS = ("datasource", "slice_id", "dashboards")
_ID_SUFFIX = re.compile(r"_\d+(?=\.yaml$)")


def _renumber_charts(dashboard: dict[str, Any]) -> None:
    """Replace the install's chart ids in a dashboard with 1..n in UUID order, consistently.

    The importer maps these ids to the new install's by the UUID beside them, so any consistent
    numbering imports the same; a stable one keeps exports of different installs identical.
    """
    nodes = [n for n in (dashboard.get("position") or {}).values()
             if isinstance(n, dict) and n.get("type") == "CHART"]
    old_ids = {n["meta"]["uuid"]: n["meta"]["chartId"] for n in nodes}
    mapping = {old_ids[u]: number for number, u in enumerate(sorted(old_ids), start=1)}
    for node in nodes:
        node["meta"]["chartId"] = mapping[node["meta"]["chartId"]]
    for native in (dashboard.get("metadata") or {}).get("native_filter_configuration", []):
        scope = native.get("scope") or {}
        if scope.get("excluded"):
            scope["excluded"] = sorted(mapping[i] for i in scope["excluded"] if i in mapping)
        if native.get("chartsInScope"):
            native["chartsInScope"] = sorted(mapping[i] for i in native["chartsInScope"] if i in mapping)


def read_bundle(folder: Path = BUNDLE_DIR) -> dict[str, str]:
    """The bundle's files, relative path -> text."""
    return {str(p.relative_to(folder)): p.read_text(encoding="utf-8")
            for p in sorted(folder.rglob("*.yaml"))}


def _load(text: str) -> Any:
    return yaml.safe_load(text)


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=True, allow_unicode=True, width=120)


def with_connection(files: dict[str, str], settings: WarehouseSettings) -> tuple[dict[str, str], dict[str, str]]:
    """Fill each database file's URI from the read-only settings; return files and the passwords map."""
    if not settings.readonly:
        raise ValueError("dashboards must connect with the warehouse's read-only user")
    rendered, passwords = dict(files), {}
    masked = settings.sqlalchemy_url().replace(
        f":{_quoted(settings.password)}@", f":{MASKED_PASSWORD}@", 1) if settings.password else settings.sqlalchemy_url()
    for path, text in files.items():
        if path.startswith("databases/"):
            data = _load(text)
            data["sqlalchemy_uri"] = masked
            rendered[path] = dump_yaml(data)
            passwords[path] = settings.password
    return rendered, passwords


def _quoted(password: str) -> str:
    from urllib.parse import quote

    return quote(password, safe="")


def zip_bundle(files: dict[str, str], root: str = "tallyhouse_dashboards") -> bytes:
    """The files as the ZIP Superset's import API expects (one top folder)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in sorted(files.items()):
            archive.writestr(f"{root}/{path}", text)
    return buffer.getvalue()


def import_bundle(api: SupersetApi, settings: WarehouseSettings, folder: Path = BUNDLE_DIR) -> int:
    """Import (overwriting by UUID) every asset of the bundle; returns the number of files sent."""
    files, passwords = with_connection(read_bundle(folder), settings)
    api.post_ok("/api/v1/assets/import/", files={"bundle": ("bundle.zip", zip_bundle(files), "application/zip")},
                data={"passwords": json.dumps(passwords), "overwrite": "true"})
    return len(files)


def unzip_export(payload: bytes) -> dict[str, str]:
    """An export ZIP as relative path -> text, its top folder (named after the export time) removed."""
    files = {}
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        for name in archive.namelist():
            if name.endswith(".yaml"):
                files[name.split("/", 1)[1]] = archive.read(name).decode("utf-8")
    return files


def normalize(files: dict[str, str]) -> dict[str, str]:
    """Remove what differs between installs and exports but is no change to a dashboard."""
    out: dict[str, str] = {}
    for path, text in files.items():
        data = _load(text)
        if path == "metadata.yaml":
            data["timestamp"] = EXPORT_TIMESTAMP
        elif path.startswith("databases/"):
            data["sqlalchemy_uri"] = URI_PLACEHOLDER
        elif path.startswith("dashboards/"):
            for key in VOLATILE_DASHBOARD_METADATA:
                data.get("metadata", {}).pop(key, None)
            _renumber_charts(data)
        elif path.startswith("charts/"):
            for key in VOLATILE_CHART_PARAMS:
                data.get("params", {}).pop(key, None)
        elif path.startswith("datasets/"):
            data["columns"] = sorted(data.get("columns") or [], key=lambda c: c["column_name"])
            data["metrics"] = sorted(data.get("metrics") or [], key=lambda m: m["metric_name"])
        out[_ID_SUFFIX.sub("", path)] = dump_yaml(data)
    return out


def export_bundle(api: SupersetApi) -> dict[str, str]:
    """Every dashboard with its charts, datasets and database, normalized.

    Exported per dashboard (not Superset's whole-instance asset export) so that scratch charts saved
    on no dashboard stay out of version control. The bundle is imported through the asset import API,
    so its metadata says `assets`.
    """
    ids = [row["id"] for row in api.all("dashboard", ["id"])]
    if not ids:
        raise ValueError("Superset holds no dashboards to export")
    files = unzip_export(api.get_bytes("/api/v1/dashboard/export/", q=f"!({','.join(map(str, sorted(ids)))})"))
    metadata = _load(files["metadata.yaml"])
    metadata["type"] = "assets"
    files["metadata.yaml"] = dump_yaml(metadata)
    return normalize(files)


def write_bundle(files: dict[str, str], folder: Path = BUNDLE_DIR) -> list[str]:
    """Replace the folder's YAML with `files`; returns the paths that changed, appeared or went away."""
    current = read_bundle(folder) if folder.exists() else {}
    changed = sorted(p for p in set(current) | set(files) if current.get(p) != files.get(p))
    for path in set(current) - set(files):
        (folder / path).unlink()
    for path in changed:
        if path not in files:
            continue
        text, target = files[path], folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return changed
