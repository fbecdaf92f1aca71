"""The endpoint's users: who may connect and whether they may write.

chDB has no user directory of its own (every query runs as `default`), so the endpoint authenticates
HTTP requests itself against a JSON file the launcher generates (0600, in the state dir) and enforces
read-only users by pinning `readonly=2` on their engine connections, which the engine refuses to undo.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .access import AccessStore
from .errors import AUTHENTICATION_FAILED, ClickHouseError


@dataclass(frozen=True)
class User:
    name: str
    password: str
    readonly: bool
    # Created with CREATE USER (see `access`): every statement is checked against its grants.
    managed: bool = False

    @property
    def admin(self) -> bool:
        """The generated read-write user: all-powerful, and the only one who manages access."""
        return not self.readonly and not self.managed


def load_users(path: Path) -> dict[str, User]:
    """Read `{"users": {name: {"password": ..., "readonly": bool}}}`."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    entries = raw.get("users", raw)
    return {
        name: User(name, str(entry["password"]), bool(entry.get("readonly", False)))
        for name, entry in entries.items()
    }


def request_credentials(headers: Mapping[str, str], params: Mapping[str, str]) -> tuple[str, str]:
    """Credentials the way clickhouse-server accepts them: Basic auth, X-ClickHouse-* headers, URL params."""
    auth = headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
            return user or "default", password
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
    if headers.get("X-ClickHouse-User") is not None:
        return headers.get("X-ClickHouse-User") or "default", headers.get("X-ClickHouse-Key", "")
    return params.get("user", "default"), params.get("password", "")


def authenticate(users: Mapping[str, User], name: str, password: str, store: AccessStore | None = None) -> User:
    user = users.get(name)
    if user is None and store is not None and (created := store.check_password(name, password)) is not None:
        return User(name, "", created.readonly, managed=True)
    # Compare even for unknown users so that timing does not reveal which names exist.
    expected = user.password if user else "\0not-a-user"
    if not hmac.compare_digest(expected.encode(), password.encode()) or user is None:
        raise ClickHouseError(
            AUTHENTICATION_FAILED,
            f"{name}: Authentication failed: password is incorrect, or there is no user with such name.",
        )
    return user
