"""Users, roles and grants the endpoint owns, because chDB cannot.

chDB runs every query as its built-in `default` user and has no writable user directory (its local
mode only reads a users.xml; CREATE USER fails with ACCESS_STORAGE_FOR_INSERTION_NOT_FOUND and there
is no EXECUTE AS), yet dbt's `grants` config and the clients' own suites create users, roles and
grants. So the endpoint keeps them: one JSON file beside the generated users file (0600), rewritten
atomically on every change, and consulted on every request of a created user.

Privileges are checked per statement kind x database/table (see `privileges`): a grant of `ALTER`
covers `ALTER DELETE`, `CREATE` covers `CREATE TABLE`, `ALL` covers everything; `ON *.*`, `ON db.*` and
`ON db.table` scopes. Passwords are stored as salted SHA-256, as ClickHouse's sha256_password does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import (
    ACCESS_ENTITY_ALREADY_EXISTS,
    UNKNOWN_ROLE,
    UNKNOWN_USER,
    ClickHouseError,
)

ACCESS_STORAGE_READONLY = 495
# Seeing an object's metadata: implied by any grant on it (see Grant.reaches and `visibility`).
VISIBILITY_PRIVILEGES = {"SHOW DATABASES", "SHOW TABLES", "SHOW COLUMNS"}
SET_NON_GRANTED_ROLE = 512


@dataclass
class Grant:
    """One privilege on one scope; database/table None mean `*`."""

    privilege: str
    database: str | None
    table: str | None
    grant_option: bool = False

    def scope(self) -> str:
        db = "*" if self.database is None else _show_name(self.database)
        tbl = "*" if self.table is None else _show_name(self.table)
        return f"{db}.{tbl}"

    def covers(self, privilege: str, database: str, table: str | None) -> bool:
        if privilege in VISIBILITY_PRIVILEGES:
            return self.reaches(database, table)
        if not privilege_covers(self.privilege, privilege):
            return False
        if self.database is not None and self.database != database:
            return False
        return self.table is None or self.table == table

    def reaches(self, database: str, table: str | None) -> bool:
        """Any grant on the table, or on anything in the database when `table` is None: what makes
        them visible (ClickHouse's implicit SHOW TABLES / SHOW COLUMNS / SHOW DATABASES)."""
        if self.database is not None and self.database != database:
            return False
        return table is None or self.table is None or self.table == table


@dataclass
class Principal:
    """A user (with a password hash) or a role: its grants and the roles granted to it."""

    name: str
    grants: list[Grant] = field(default_factory=list)
    roles: dict[str, bool] = field(default_factory=dict)  # role -> admin option
    # Users only.
    sha256: str | None = None
    salt: str = ""
    no_password: bool = False
    default_roles: list[str] | None = None  # None: all granted roles
    readonly: bool = False


@dataclass
class Policy:
    """A row policy: rows of database.table that `condition` admits, for the listed users/roles
    (`to` None: all created users) except `except_`."""

    name: str
    database: str
    table: str
    condition: str
    to: list[str] | None = None
    except_: list[str] = field(default_factory=list)
    restrictive: bool = False

    def key(self) -> str:
        return f"{self.name} ON {self.database}.{self.table}"


def privilege_covers(granted: str, required: str) -> bool:
    """`ALL` covers all; a group covers its members (`ALTER` covers `ALTER DELETE`)."""
    return granted == "ALL" or granted == required or required.startswith(granted + " ")


def _show_name(name: str) -> str:
    plain = name.replace("_", "a").isalnum() and not name[:1].isdigit()
    return name if plain else "`" + name.replace("`", "``") + "`"


class AccessStore:
    """The access entities, persisted as JSON; thread-safe (requests run on many threads)."""

    def __init__(self, path: Path, builtin: set[str], builtin_readonly: set[str] | None = None):
        self.path = Path(path)
        self.builtin = set(builtin)
        self.builtin_readonly = set(builtin_readonly or ())
        self._lock = threading.RLock()
        self.users: dict[str, Principal] = {}
        self.roles: dict[str, Principal] = {}
        self.policies: dict[str, Policy] = {}
        if self.path.exists():
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            self.users = {name: _principal(entry) for name, entry in raw.get("users", {}).items()}
            self.roles = {name: _principal(entry) for name, entry in raw.get("roles", {}).items()}
            self.policies = {key: Policy(**entry) for key, entry in raw.get("policies", {}).items()}

    # -- persistence ---------------------------------------------------------------------------

    def save(self) -> None:
        data = {
            "users": {name: asdict(p) for name, p in self.users.items()},
            "roles": {name: asdict(p) for name, p in self.roles.items()},
            "policies": {key: asdict(p) for key, p in self.policies.items()},
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".access-", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # -- lookups -------------------------------------------------------------------------------

    def principal(self, name: str) -> Principal:
        """A user or role by name (grants may go to either)."""
        found = self.users.get(name) or self.roles.get(name)
        if found is None:
            if name in self.builtin:
                raise ClickHouseError(
                    ACCESS_STORAGE_READONLY,
                    f"Cannot update user `{name}` in users_xml because this storage is readonly",
                    "ACCESS_STORAGE_READONLY",
                )
            raise ClickHouseError(UNKNOWN_ROLE, f"There is no role `{name}` in `user directories`")
        return found

    def user(self, name: str) -> Principal:
        found = self.users.get(name)
        if found is None:
            if name in self.builtin:
                self.principal(name)  # raises the read-only storage error
            raise ClickHouseError(UNKNOWN_USER, f"There is no user `{name}` in `user directories`")
        return found

    def role(self, name: str) -> Principal:
        found = self.roles.get(name)
        if found is None:
            raise ClickHouseError(UNKNOWN_ROLE, f"There is no role `{name}` in `user directories`")
        return found

    def exists(self, name: str) -> bool:
        return name in self.users or name in self.roles or name in self.builtin

    # -- authentication ------------------------------------------------------------------------

    def check_password(self, name: str, password: str) -> Principal | None:
        with self._lock:
            user = self.users.get(name)
        if user is None:
            return None
        if user.no_password:
            return user if password == "" else None
        digest = hashlib.sha256((password + user.salt).encode("utf-8")).hexdigest()
        return user if hmac.compare_digest(digest, user.sha256 or "") else None

    @staticmethod
    def hash_password(password: str) -> tuple[str, str]:
        salt = secrets.token_hex(16)
        return hashlib.sha256((password + salt).encode("utf-8")).hexdigest(), salt

    # -- effective privileges ------------------------------------------------------------------

    def active_roles(self, user: Principal, chosen: list[str] | None = None) -> list[str]:
        """Roles in effect: the chosen ones (SET ROLE / `role` setting), else the user's default roles,
        then every role granted to those, transitively."""
        with self._lock:
            for name in chosen or []:
                if name not in user.roles:
                    raise ClickHouseError(
                        SET_NON_GRANTED_ROLE, f"Role {name} should be granted to set as a current one",
                        "SET_NON_GRANTED_ROLE",
                    )
            start = chosen if chosen is not None else (
                list(user.roles) if user.default_roles is None else [r for r in user.default_roles if r in user.roles]
            )
            seen: list[str] = []
            stack = list(start)
            while stack:
                name = stack.pop()
                if name in seen or name not in self.roles:
                    continue
                seen.append(name)
                stack.extend(self.roles[name].roles)
            return seen

    def allowed(self, user: Principal, privilege: str, database: str, table: str | None,
                roles: list[str] | None = None) -> bool:
        return any(g.covers(privilege, database, table) for g in self.effective_grants(user, roles))

    def effective_grants(self, user: Principal, roles: list[str] | None = None) -> list[Grant]:
        """The user's own grants and those of its roles in effect."""
        with self._lock:
            holders = [user] + [self.roles[r] for r in self.active_roles(user, roles) if r in self.roles]
            return [g for p in holders for g in p.grants]

    def row_filters(self, user: Principal, tables: set[tuple[str, str]], roles: list[str] | None = None) -> dict[str, str]:
        """`additional_table_filters` for the tables a created user reads: per table, the permissive
        policies that apply OR-ed, AND-ed with the restrictive ones (ClickHouse's combination)."""
        if not self.policies:
            return {}
        with self._lock:
            names = {user.name, *self.active_roles(user, roles)}
            out: dict[str, str] = {}
            for database, table in sorted(tables):
                applying = [
                    p for p in self.policies.values()
                    if (p.database, p.table) == (database, table)
                    and (p.to is None or names & set(p.to)) and not names & set(p.except_)
                ]
                if not applying:
                    continue
                permissive = [f"({p.condition})" for p in applying if not p.restrictive]
                restrictive = [f"({p.condition})" for p in applying if p.restrictive]
                condition = " AND ".join(([f"({' OR '.join(permissive)})"] if permissive else ["0"]) + restrictive)
                out[f"{database}.{table}"] = condition
            return out

    # -- changes -------------------------------------------------------------------------------

    def create(self, kind: str, names: list[str], if_not_exists: bool, or_replace: bool,
               template: Principal) -> None:
        with self._lock:
            book = self.users if kind == "USER" else self.roles
            for name in names:
                if self.exists(name) and not (or_replace and name in book):
                    if if_not_exists and name in book:
                        continue
                    what = "user" if name in self.users or name in self.builtin else "role"
                    raise ClickHouseError(
                        ACCESS_ENTITY_ALREADY_EXISTS,
                        f"{kind.lower()} `{name}`: cannot insert because {what} `{name}` already exists "
                        "in local_directory",
                    )
            for name in names:
                if if_not_exists and name in book and not or_replace:
                    continue
                entity = Principal(**{**asdict(template), "name": name, "grants": [], "roles": {}})
                if or_replace and name in book:
                    entity.grants, entity.roles = book[name].grants, book[name].roles
                book[name] = entity
            self.save()

    def drop(self, kind: str, names: list[str], if_exists: bool) -> None:
        with self._lock:
            book = self.users if kind == "USER" else self.roles
            missing = [n for n in names if n not in book]
            if missing and not if_exists:
                if kind == "USER":
                    self.user(missing[0])
                self.role(missing[0])
            for name in names:
                book.pop(name, None)
                if kind == "ROLE":
                    for holder in [*self.users.values(), *self.roles.values()]:
                        holder.roles.pop(name, None)
                        if holder.default_roles is not None and name in holder.default_roles:
                            holder.default_roles.remove(name)
            self.save()

    def grant(self, grantees: list[str], grants: list[Grant]) -> None:
        with self._lock:
            targets = [self.principal(name) for name in grantees]
            for target in targets:
                for new in grants:
                    same = [g for g in target.grants if (g.privilege, g.database, g.table) ==
                            (new.privilege, new.database, new.table)]
                    if same:
                        same[0].grant_option = same[0].grant_option or new.grant_option
                    else:
                        target.grants.append(Grant(**asdict(new)))
            self.save()

    def revoke(self, grantees: list[str], grants: list[Grant], grant_option_only: bool) -> None:
        """Remove matching grants; a broader revoke removes narrower grants it covers (REVOKE SELECT ON
        db.* removes SELECT ON db.t). Partial revokes of a broader grant are not represented."""
        with self._lock:
            targets = [self.principal(name) for name in grantees]
            for target in targets:
                kept = []
                for have in target.grants:
                    hit = any(
                        privilege_covers(r.privilege, have.privilege)
                        and (r.database is None or r.database == have.database)
                        and (r.table is None or r.table == have.table)
                        for r in grants
                    )
                    if hit and grant_option_only:
                        have.grant_option = False
                        kept.append(have)
                    elif not hit:
                        kept.append(have)
                target.grants = kept
            self.save()

    def grant_roles(self, roles: list[str], grantees: list[str], admin_option: bool) -> None:
        with self._lock:
            for role in roles:
                self.role(role)
            targets = [self.principal(name) for name in grantees]
            for target in targets:
                for role in roles:
                    if role == target.name:
                        continue
                    target.roles[role] = target.roles.get(role, False) or admin_option
            self.save()

    def revoke_roles(self, roles: list[str], grantees: list[str], admin_option_only: bool) -> None:
        with self._lock:
            targets = [self.principal(name) for name in grantees]
            for target in targets:
                for role in roles:
                    if role in target.roles:
                        if admin_option_only:
                            target.roles[role] = False
                        else:
                            del target.roles[role]
            self.save()


def _principal(entry: dict) -> Principal:
    data = dict(entry)
    data["grants"] = [Grant(**g) for g in data.get("grants", [])]
    return Principal(**data)
