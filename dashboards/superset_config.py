"""Superset's configuration for Tallyhouse (selected by SUPERSET_CONFIG_PATH, see dashboards.server).

Everything variable comes from the Tallyhouse state directory or settings, never from this file: the
metadata database (SQLite in the state dir, or $TALLYHOUSE_SUPERSET_DATABASE_URI), the generated
SECRET_KEY. CSRF stays on; the server binds to loopback (dashboards.server), and the warehouse is
reached with its read-only user only (registered by `tallyhouse dashboards import`).
"""

from __future__ import annotations

from dashboards.state import metadata_url, secret_key

SECRET_KEY = secret_key()
SQLALCHEMY_DATABASE_URI = metadata_url()
WTF_CSRF_ENABLED = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Dashboards read marts only; SQL Lab may not run DML (the warehouse's read-only user refuses it too).
PREVENT_UNSAFE_DB_CONNECTIONS = True
# Every chart of a dashboard renders at once (no virtualization): the dashboards are small, and a
# headless check or a screenshot sees the whole page.
FEATURE_FLAGS = {"DASHBOARD_NATIVE_FILTERS": True, "ENABLE_TEMPLATE_PROCESSING": False, "DASHBOARD_VIRTUALIZATION": False}

# The app is served on loopback to a local browser; no CDN, no thumbnails, no telemetry.
THUMBNAILS = False
SUPERSET_WEBSERVER_TIMEOUT = 120
SQLLAB_TIMEOUT = 120
ROW_LIMIT = 50_000
CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
DATA_CACHE_CONFIG = {"CACHE_TYPE": "NullCache"}
SCARF_ANALYTICS = False
