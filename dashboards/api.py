"""A logged-in session against Superset's REST API, the way an administrator's script would use it.

Import, export and the tests all go through the public API (not Superset's internals) so they exercise
the same permission checks, CSRF protection and serialisation a user's browser does.
"""

from __future__ import annotations

from typing import Any

import requests


class SupersetApiError(RuntimeError):
    """An API call failed; the message carries the method, path, status and Superset's own message."""


class SupersetApi:
    """A requests session holding a JWT access token, the session cookie and the CSRF token."""

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 120.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        response = self.session.post(
            f"{self.base_url}/api/v1/security/login",
            json={"username": username, "password": password, "provider": "db", "refresh": False},
            timeout=timeout,
        )
        if response.status_code != 200:
            raise SupersetApiError(f"login as {username!r} failed: HTTP {response.status_code} {response.text[:200]}")
        self.session.headers["Authorization"] = f"Bearer {response.json()['access_token']}"
        csrf = self.get("/api/v1/security/csrf_token/")["result"]
        self.session.headers.update({"X-CSRFToken": csrf, "Referer": self.base_url})

    def _check(self, method: str, path: str, response: requests.Response) -> requests.Response:
        if response.status_code >= 400:
            raise SupersetApiError(f"{method} {path}: HTTP {response.status_code} {response.text[:500]}")
        return response

    def get(self, path: str, **params: Any) -> Any:
        response = self.session.get(f"{self.base_url}{path}", params=params or None, timeout=self.timeout)
        return self._check("GET", path, response).json()

    def get_bytes(self, path: str, **params: Any) -> bytes:
        response = self.session.get(f"{self.base_url}{path}", params=params or None, timeout=self.timeout)
        return self._check("GET", path, response).content

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST without raising: callers that expect a refusal inspect the response themselves."""
        return self.session.post(f"{self.base_url}{path}", timeout=self.timeout, **kwargs)

    def post_ok(self, path: str, **kwargs: Any) -> Any:
        return self._check("POST", path, self.post(path, **kwargs)).json()

    def put_ok(self, path: str, **kwargs: Any) -> Any:
        response = self.session.put(f"{self.base_url}{path}", timeout=self.timeout, **kwargs)
        return self._check("PUT", path, response).json()

    def all(self, resource: str, columns: list[str]) -> list[dict[str, Any]]:
        """Every row of a list endpoint (chart, dataset, dashboard, database), paging through."""
        rows: list[dict[str, Any]] = []
        page = 0
        while True:
            query = f"(columns:!({','.join(columns)}),page:{page},page_size:100)"
            batch = self.get(f"/api/v1/{resource}/", q=query)["result"]
            rows.extend(batch)
            if len(batch) < 100:
                return rows
            page += 1
