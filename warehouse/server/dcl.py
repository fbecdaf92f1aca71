"""Access-management statements (CREATE/ALTER/DROP USER and ROLE, GRANT, REVOKE, SHOW GRANTS, ...).

chDB refuses them (see `access`), so the endpoint recognises them by their leading keywords, lets the
engine check their syntax (`EXPLAIN AST`, so a malformed one fails with the engine's SYNTAX_ERROR),
reads them with the SQL lexer and applies them to the AccessStore. What is read is ClickHouse's
grammar for these statements, minus what the store cannot honour (column-level grants, partial
revokes, host restrictions, quotas, settings profiles, row policies), which is refused by name rather
than accepted and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import sqltext
from .access import SET_NON_GRANTED_ROLE, AccessStore, Grant, Policy, Principal
from .errors import ACCESS_ENTITY_ALREADY_EXISTS, NOT_IMPLEMENTED, SYNTAX_ERROR, ClickHouseError

ACCESS_ENTITY_NOT_FOUND = 492

# Leading keywords of the statements handled here.
_HEADS = {
    ("CREATE", "USER"), ("ALTER", "USER"), ("DROP", "USER"),
    ("CREATE", "ROLE"), ("ALTER", "ROLE"), ("DROP", "ROLE"),
    ("GRANT",), ("REVOKE",),
    ("SHOW", "GRANTS"), ("SHOW", "USERS"), ("SHOW", "ROLES"), ("SHOW", "CURRENT", "ROLES"),
    ("SHOW", "ENABLED", "ROLES"), ("SHOW", "ACCESS"),
    ("SET", "DEFAULT", "ROLE"), ("SET", "ROLE"),
    ("CREATE", "ROW", "POLICY"), ("CREATE", "POLICY"), ("ALTER", "ROW", "POLICY"), ("ALTER", "POLICY"),
    ("DROP", "ROW", "POLICY"), ("DROP", "POLICY"), ("CREATE", "QUOTA"), ("ALTER", "QUOTA"), ("DROP", "QUOTA"),
    ("CREATE", "SETTINGS", "PROFILE"), ("ALTER", "SETTINGS", "PROFILE"), ("DROP", "SETTINGS", "PROFILE"),
    ("CREATE", "PROFILE"), ("ALTER", "PROFILE"), ("DROP", "PROFILE"),
    ("SHOW", "ROW", "POLICIES"), ("SHOW", "POLICIES"),
}
_UNSUPPORTED = {"QUOTA", "PROFILE"}
_POLICY = {"POLICY", "POLICIES"}
# Privileges ClickHouse spells in several ways, mapped to one spelling.
_ALIASES = {"ALL PRIVILEGES": "ALL", "CREATE TEMPORARY TABLE": "CREATE TEMPORARY TABLE",
            "ALTER TABLE": "ALTER", "SHOW TABLES": "SHOW"}


def head(sql: str) -> tuple[str, ...] | None:
    """The leading keywords if `sql` is an access-management statement, else None."""
    words: list[str] = []
    for tok in sqltext.tokens(sql):
        if tok.kind != "word" or len(words) == 3:
            break
        words.append(tok.text.upper())
    for size in (3, 2, 1):
        if tuple(words[:size]) in _HEADS:
            return tuple(words[:size])
    return None


def head_mentions_other(sql: str, user_name: str) -> bool:
    """Whether a SHOW GRANTS asks about anyone but `user_name` (`SHOW GRANTS FOR other`)."""
    cur = _Cursor(sql)
    cur.take("SHOW", "GRANTS")
    if not cur.take("FOR"):
        return False
    return cur.names() != [user_name]


@dataclass
class Result:
    """What the statement answers: nothing, or rows of one string column."""

    column: str | None = None
    rows: list[str] | None = None


class _Cursor:
    """Tokens of one statement with ClickHouse-grammar helpers."""

    def __init__(self, sql: str):
        self.sql = sql
        toks = list(sqltext.tokens(sql))
        while toks and toks[-1].text == ";":
            toks.pop()
        self.toks = toks
        self.i = 0

    def peek(self, offset: int = 0) -> sqltext.Token | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def at(self, *words: str) -> bool:
        for k, word in enumerate(words):
            tok = self.peek(k)
            if tok is None or tok.kind != "word" or tok.text.upper() != word:
                return False
        return True

    def take(self, *words: str) -> bool:
        if self.at(*words):
            self.i += len(words)
            return True
        return False

    def done(self) -> bool:
        return self.i >= len(self.toks)

    def fail(self, what: str) -> ClickHouseError:
        tok = self.peek()
        near = tok.text if tok else "end of query"
        return ClickHouseError(SYNTAX_ERROR, f"Syntax error: expected {what} near {near!r}")

    def name(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind not in ("word", "ident", "string"):
            raise self.fail("a name")
        self.i += 1
        if tok.kind == "word":
            return tok.text
        return _unquote(tok.text)

    def string(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind != "string":
            raise self.fail("a string literal")
        self.i += 1
        return _unquote(tok.text)

    def names(self) -> list[str]:
        out = [self.name()]
        while self.peek() is not None and self.peek().text == ",":
            self.i += 1
            out.append(self.name())
        return out


def _unquote(text: str) -> str:
    quote, body = text[0], text[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(nxt, nxt))
            i += 2
        elif ch == quote and i + 1 < len(body) and body[i + 1] == quote:
            out.append(quote)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Executor:
    """Runs one access statement for the administrator (or SHOW GRANTS for anyone, about themselves)."""

    def __init__(self, store: AccessStore, current_database: str):
        self.store = store
        self.current_database = current_database

    def run(self, sql: str, keywords: tuple[str, ...], user_name: str) -> Result:
        if _UNSUPPORTED & set(keywords):
            cur = _Cursor(sql)
            cur.i = len(keywords)
            if keywords[0] == "DROP" and cur.take("IF", "EXISTS"):
                return Result()  # dropping one that does not exist: the endpoint keeps none
            raise ClickHouseError(
                NOT_IMPLEMENTED,
                f"{' '.join(keywords)} is not supported by this endpoint (chDB has no access storage; "
                "the endpoint emulates users, roles, grants and row policies only)",
            )
        cur = _Cursor(sql)
        verb = keywords[0]
        if _POLICY & set(keywords):
            return self._policy(cur, keywords)
        if verb in ("CREATE", "ALTER") and keywords[1] in ("USER", "ROLE"):
            return self._create_or_alter(cur, verb, keywords[1])
        if verb == "DROP":
            cur.take("DROP", keywords[1])
            if_exists = cur.take("IF", "EXISTS")
            names = cur.names()
            self._no_cluster(cur)
            self.store.drop(keywords[1], names, if_exists)
            return Result()
        if verb in ("GRANT", "REVOKE"):
            return self._grant(cur, verb)
        if keywords[:2] == ("SHOW", "GRANTS"):
            return self._show_grants(cur, user_name)
        if keywords == ("SHOW", "USERS"):
            return Result("name", sorted([*self.store.builtin, *self.store.users]))
        if keywords == ("SHOW", "ROLES"):
            return Result("name", sorted(self.store.roles))
        if keywords[:2] == ("SET", "DEFAULT"):
            return self._set_default_role(cur)
        raise ClickHouseError(NOT_IMPLEMENTED, f"{' '.join(keywords)} is not supported by this endpoint")

    # -- row policies --------------------------------------------------------------------------------

    def _policy(self, cur: _Cursor, keywords: tuple[str, ...]) -> Result:
        cur.i = len(keywords)
        verb = keywords[0]
        store = self.store
        if verb == "SHOW":
            scope = None
            if cur.take("ON"):
                scope = self._table_scope(cur)
            with store._lock:
                found = sorted(store.policies.values(), key=lambda p: p.key())
            if scope is not None:
                return Result("name", [p.name for p in found if (p.database, p.table) == scope])
            return Result("name", [p.key() for p in found])
        if verb == "ALTER":
            raise ClickHouseError(NOT_IMPLEMENTED, "ALTER ROW POLICY is not supported by this endpoint: drop and "
                                  "create it again")
        if verb == "DROP":
            if_exists = cur.take("IF", "EXISTS")
            name = cur.name()
            if not cur.take("ON"):
                raise cur.fail("ON")
            database, table = self._table_scope(cur)
            key = f"{name} ON {database}.{table}"
            with store._lock:
                if key not in store.policies:
                    if if_exists:
                        return Result()
                    raise ClickHouseError(ACCESS_ENTITY_NOT_FOUND, f"There is no row policy `{key}` in `user directories`",
                                          "ACCESS_ENTITY_NOT_FOUND")
                del store.policies[key]
                store.save()
            return Result()
        if_not_exists = cur.take("IF", "NOT", "EXISTS")
        or_replace = cur.take("OR", "REPLACE")
        name = cur.name()
        if not cur.take("ON"):
            raise cur.fail("ON")
        database, table = self._table_scope(cur)
        self._no_cluster(cur)
        restrictive = False
        if cur.take("AS"):
            restrictive = cur.take("RESTRICTIVE")
            if not restrictive and not cur.take("PERMISSIVE"):
                raise cur.fail("PERMISSIVE or RESTRICTIVE")
        if cur.take("FOR") and not cur.take("SELECT"):
            raise cur.fail("SELECT")
        if not cur.take("USING"):
            raise cur.fail("USING")
        begin = cur.i
        while not cur.done() and not (cur.peek().depth == 0 and cur.at("TO")):
            cur.i += 1
        if cur.i == begin:
            raise cur.fail("a condition")
        condition = cur.sql[cur.toks[begin].start: cur.toks[cur.i - 1].end]
        to: list[str] | None = None
        excepted: list[str] = []
        if cur.take("TO"):
            if cur.take("ALL"):
                if cur.take("EXCEPT"):
                    excepted = cur.names()
            else:
                to = cur.names()
                for grantee in to:
                    store.principal(grantee)
        if not cur.done():
            raise cur.fail("end of query")
        policy = Policy(name, database, table, condition, to, excepted, restrictive)
        with store._lock:
            if policy.key() in store.policies and not or_replace:
                if if_not_exists:
                    return Result()
                raise ClickHouseError(ACCESS_ENTITY_ALREADY_EXISTS, f"row policy `{policy.key()}`: cannot insert "
                                      "because it already exists", "ACCESS_ENTITY_ALREADY_EXISTS")
            store.policies[policy.key()] = policy
            store.save()
        return Result()

    def _table_scope(self, cur: _Cursor) -> tuple[str, str]:
        first = cur.name()
        if cur.peek() is not None and cur.peek().text == ".":
            cur.i += 1
            return first, cur.name()
        return self.current_database, first

    @staticmethod
    def _no_cluster(cur: _Cursor) -> None:
        if cur.take("ON", "CLUSTER"):
            cur.name()

    # -- CREATE / ALTER USER and ROLE --------------------------------------------------------------

    def _create_or_alter(self, cur: _Cursor, verb: str, kind: str) -> Result:
        cur.take(verb, kind)
        if_not_exists = verb == "CREATE" and cur.take("IF", "NOT", "EXISTS")
        if_exists = verb == "ALTER" and cur.take("IF", "EXISTS")
        or_replace = verb == "CREATE" and cur.take("OR", "REPLACE")
        names = cur.names()
        self._no_cluster(cur)
        template = Principal(name="")
        changes: dict[str, object] = {}
        rename: str | None = None
        while not cur.done():
            if verb == "ALTER" and cur.take("RENAME", "TO"):
                rename = cur.name()
            elif kind == "USER" and cur.take("NOT", "IDENTIFIED"):
                changes.update(no_password=True, sha256=None, salt="")
            elif kind == "USER" and cur.take("IDENTIFIED"):
                changes.update(self._identified(cur))
            elif kind == "USER" and cur.take("HOST"):
                if not (cur.take("ANY") or cur.take("LOCAL")):
                    raise ClickHouseError(NOT_IMPLEMENTED, "HOST restrictions are not supported by this endpoint")
            elif kind == "USER" and cur.take("DEFAULT", "ROLE"):
                changes["default_roles"] = self._role_list(cur)
            elif kind == "USER" and cur.take("DEFAULT", "DATABASE"):
                cur.name()
            elif kind == "USER" and cur.take("GRANTEES"):
                while not cur.done() and not cur.at("SETTINGS"):
                    cur.i += 1
            elif cur.take("SETTINGS"):
                changes.update(self._settings(cur))
            else:
                raise cur.fail("IDENTIFIED, DEFAULT ROLE, SETTINGS or end of query")
        if verb == "CREATE":
            for key, value in changes.items():
                setattr(template, key, value)
            if kind == "USER" and not template.no_password and template.sha256 is None:
                template.no_password = True  # CREATE USER without IDENTIFIED: no password, as ClickHouse
            default_roles = template.default_roles
            self.store.create(kind, names, if_not_exists, or_replace, template)
            if default_roles:
                self.store.grant_roles(default_roles, names, admin_option=False)
            return Result()
        with self.store._lock:
            book = self.store.users if kind == "USER" else self.store.roles
            for name in names:
                if name not in book:
                    if if_exists:
                        continue
                    self.store.user(name) if kind == "USER" else self.store.role(name)
                entity = book[name]
                for key, value in changes.items():
                    setattr(entity, key, value)
                if rename:
                    book[rename] = book.pop(name)
                    book[rename].name = rename
            self.store.save()
        return Result()

    def _identified(self, cur: _Cursor) -> dict[str, object]:
        method = "sha256_password"
        if cur.take("WITH"):
            method = cur.name().lower()
        if method in ("no_password",):
            return {"no_password": True, "sha256": None, "salt": ""}
        if not cur.take("BY"):
            raise cur.fail("BY")
        secret = cur.string()
        if method == "sha256_hash":
            salt = cur.string() if cur.take("SALT") else ""
            return {"no_password": False, "sha256": secret.lower(), "salt": salt}
        if method in ("plaintext_password", "sha256_password", "double_sha1_password", "bcrypt_password"):
            digest, salt = AccessStore.hash_password(secret)
            return {"no_password": False, "sha256": digest, "salt": salt}
        raise ClickHouseError(NOT_IMPLEMENTED, f"authentication method {method} is not supported by this endpoint")

    def _role_list(self, cur: _Cursor) -> list[str] | None:
        if cur.take("NONE"):
            return []
        if cur.take("ALL"):
            if cur.take("EXCEPT"):
                raise ClickHouseError(NOT_IMPLEMENTED, "DEFAULT ROLE ALL EXCEPT is not supported by this endpoint")
            return None
        return cur.names()

    @staticmethod
    def _settings(cur: _Cursor) -> dict[str, object]:
        """Settings of a user or role: `readonly` is honoured, the rest is accepted and not applied."""
        out: dict[str, object] = {}
        while not cur.done():
            name = cur.name()
            value = None
            if cur.peek() is not None and cur.peek().text == "=":
                cur.i += 1
                tok = cur.peek()
                if tok is None:
                    raise cur.fail("a value")
                value = tok.text.strip("'")
                cur.i += 1
            while cur.take("MIN") or cur.take("MAX"):
                cur.i += 1
            for word in ("CONST", "READONLY", "WRITABLE", "CHANGEABLE_IN_READONLY"):
                cur.take(word)
            if name.lower() == "readonly" and value is not None:
                out["readonly"] = value not in ("0", "")
            if cur.peek() is not None and cur.peek().text == ",":
                cur.i += 1
                continue
            break
        return out

    # -- GRANT / REVOKE ------------------------------------------------------------------------

    def _grant(self, cur: _Cursor, verb: str) -> Result:
        cur.take(verb)
        self._no_cluster(cur)
        option_only = verb == "REVOKE" and (cur.take("GRANT", "OPTION", "FOR") or cur.take("ADMIN", "OPTION", "FOR"))
        # Privileges (words up to ON) or roles (names up to TO/FROM).
        items: list[list[str]] = [[]]
        while not cur.done() and not cur.at("ON") and not cur.at("TO") and not cur.at("FROM"):
            tok = cur.peek()
            if tok.text == ",":
                items.append([])
            elif tok.text == "(":
                raise ClickHouseError(NOT_IMPLEMENTED, "column-level grants are not supported by this endpoint")
            else:
                items[-1].append(tok.text.upper() if tok.kind == "word" else _unquote(tok.text))
            cur.i += 1
        if not items[0]:
            raise cur.fail("a privilege or role")
        if cur.take("ON"):
            database, table = self._scope(cur)
            if not (cur.take("TO") if verb == "GRANT" else cur.take("FROM")):
                raise cur.fail("TO" if verb == "GRANT" else "FROM")
            grantees = self._grantees(cur)
            grant_option = verb == "GRANT" and cur.take("WITH", "GRANT", "OPTION")
            replace = verb == "GRANT" and cur.take("WITH", "REPLACE", "OPTION")
            if not cur.done():
                raise cur.fail("end of query")
            grants = [Grant(_privilege(words), database, table, grant_option) for words in items]
            if verb == "GRANT":
                if replace:
                    for name in grantees:
                        self.store.principal(name).grants = []
                self.store.grant(grantees, grants)
            else:
                self.store.revoke(grantees, grants, option_only)
            return Result()
        roles = [" ".join(words) if len(words) > 1 else words[0] for words in items]
        roles = [self._role_name(cur, r) for r in roles]
        if not (cur.take("TO") if verb == "GRANT" else cur.take("FROM")):
            raise cur.fail("TO" if verb == "GRANT" else "FROM")
        grantees = self._grantees(cur)
        admin = verb == "GRANT" and cur.take("WITH", "ADMIN", "OPTION")
        cur.take("WITH", "REPLACE", "OPTION")
        if not cur.done():
            raise cur.fail("end of query")
        if verb == "GRANT":
            self.store.grant_roles(roles, grantees, admin)
        else:
            self.store.revoke_roles(roles, grantees, option_only)
        return Result()

    def _role_name(self, cur: _Cursor, raw: str) -> str:
        # Role names were upper-cased with the privilege words; find the role as created.
        for name in self.store.roles:
            if name == raw or name.upper() == raw:
                return name
        return self.store.role(raw).name

    def _scope(self, cur: _Cursor) -> tuple[str | None, str | None]:
        first = self._scope_part(cur)
        if cur.peek() is not None and cur.peek().text == ".":
            cur.i += 1
            second = self._scope_part(cur)
            if first is None and second is not None:
                raise ClickHouseError(SYNTAX_ERROR, "Syntax error: *.table is not a valid grant scope")
            return first, second
        # `ON t` means a table of the current database; `ON *` all of the current database.
        return self.current_database, first

    @staticmethod
    def _scope_part(cur: _Cursor) -> str | None:
        tok = cur.peek()
        if tok is not None and tok.text == "*":
            cur.i += 1
            return None
        name = cur.name()
        nxt = cur.peek()
        if nxt is not None and nxt.text == "*" and nxt.start == tok.end:
            raise ClickHouseError(NOT_IMPLEMENTED, "wildcard grants (prefix*) are not supported by this endpoint")
        return name

    def _grantees(self, cur: _Cursor) -> list[str]:
        names = cur.names()
        for name in names:
            if name.upper() in ("ALL", "CURRENT_USER"):
                raise ClickHouseError(NOT_IMPLEMENTED, f"grantee {name} is not supported by this endpoint")
            self.store.principal(name)
        return names

    # -- SHOW GRANTS / SET DEFAULT ROLE ----------------------------------------------------------

    def _show_grants(self, cur: _Cursor, user_name: str) -> Result:
        cur.take("SHOW", "GRANTS")
        names = [user_name]
        if cur.take("FOR"):
            names = cur.names()
        lines: list[str] = []
        for name in names:
            if name in self.store.builtin and name not in self.store.users:
                lines.append(f"GRANT SHOW, SELECT ON *.* TO {name}" if name in self.store.builtin_readonly
                             else f"GRANT ALL ON *.* TO {name} WITH GRANT OPTION")
                continue
            entity = self.store.principal(name)
            lines.extend(render_grants(entity))
        return Result(f"GRANTS FOR {', '.join(names)}", lines)

    def _set_default_role(self, cur: _Cursor) -> Result:
        cur.take("SET", "DEFAULT", "ROLE")
        roles = self._role_list(cur)
        if not cur.take("TO"):
            raise cur.fail("TO")
        users = cur.names()
        with self.store._lock:
            for name in users:
                user = self.store.user(name)
                for role in roles or []:
                    self.store.role(role)
                    if role not in user.roles:
                        raise ClickHouseError(
                            SET_NON_GRANTED_ROLE, f"Role {role} should be granted to set as a default",
                            "SET_NON_GRANTED_ROLE",
                        )
                user.default_roles = roles
            self.store.save()
        return Result()


def _privilege(words: list[str]) -> str:
    text = " ".join(words)
    return _ALIASES.get(text, text)


def render_grants(entity: Principal) -> list[str]:
    """SHOW GRANTS lines, grouped by scope and option as ClickHouse prints them."""
    from .access import _show_name

    groups: dict[tuple[str, bool], list[str]] = {}
    for grant in entity.grants:
        groups.setdefault((grant.scope(), grant.grant_option), []).append(grant.privilege)
    who = _show_name(entity.name)
    lines = [
        f"GRANT {', '.join(privs)} ON {scope} TO {who}" + (" WITH GRANT OPTION" if option else "")
        for (scope, option), privs in groups.items()
    ]
    plain = [r for r, admin in entity.roles.items() if not admin]
    admins = [r for r, admin in entity.roles.items() if admin]
    if plain:
        lines.append(f"GRANT {', '.join(_show_name(r) for r in plain)} TO {who}")
    if admins:
        lines.append(f"GRANT {', '.join(_show_name(r) for r in admins)} TO {who} WITH ADMIN OPTION")
    return lines


# The access tables of `system`, answered from the store: (columns, row builder).
_SYSTEM_TABLES = {
    "grants": "user_name Nullable(String), role_name Nullable(String), access_type String, "
              "database Nullable(String), table Nullable(String), column Nullable(String), "
              "is_partial_revoke UInt8, grant_option UInt8",
    "role_grants": "user_name Nullable(String), role_name Nullable(String), granted_role_name String, "
                   "granted_role_id String, granted_role_is_default UInt8, with_admin_option UInt8",
    "users": "name String, id String, storage String, auth_type Array(String), default_roles_all UInt8, "
             "default_roles_list Array(String)",
    "roles": "name String, id String, storage String",
}


def _system_rows(store: AccessStore, table: str) -> list[dict]:
    rows: list[dict] = []
    with store._lock:
        holders = [("user_name", p) for p in store.users.values()] + [("role_name", p) for p in store.roles.values()]
        if table == "grants":
            for column, p in holders:
                for g in p.grants:
                    rows.append({column: p.name, "access_type": g.privilege, "database": g.database,
                                 "table": g.table, "is_partial_revoke": 0, "grant_option": int(g.grant_option)})
        elif table == "role_grants":
            for column, p in holders:
                for role, admin in p.roles.items():
                    default = p.default_roles is None or role in (p.default_roles or [])
                    rows.append({column: p.name, "granted_role_name": role, "granted_role_id": role,
                                 "granted_role_is_default": int(default), "with_admin_option": int(admin)})
        elif table == "users":
            for name in sorted(store.builtin):
                rows.append({"name": name, "id": name, "storage": "users_xml", "auth_type": ["sha256_password"],
                             "default_roles_all": 1, "default_roles_list": []})
            for p in store.users.values():
                rows.append({"name": p.name, "id": p.name, "storage": "local_directory",
                             "auth_type": ["no_password" if p.no_password else "sha256_password"],
                             "default_roles_all": int(p.default_roles is None),
                             "default_roles_list": p.default_roles or []})
        elif table == "roles":
            rows = [{"name": name, "id": name, "storage": "local_directory"} for name in store.roles]
    return rows


def system_access_rewrite(sql: str, store: AccessStore) -> tuple[str, dict[str, str]]:
    """Replace references to system.grants/role_grants/users/roles by the store's rows.

    The engine's own tables are empty (it knows only `default`), while dbt reads `system.grants` to
    decide what to GRANT and REVOKE. Each reference, found by the SQL lexer as the three tokens
    `system` `.` `name` outside strings and comments, becomes a subquery over `format(JSONEachRow, ...)`
    whose data travels as a query parameter, so nothing is spliced into the SQL text but a name.
    """
    import json

    toks = list(sqltext.tokens(sql))
    out: list[str] = []
    params: dict[str, str] = {}
    last = 0
    k = 0
    while k + 2 < len(toks):
        a, dot, b = toks[k], toks[k + 1], toks[k + 2]
        names = (_ident_text(a), _ident_text(b))
        if dot.text == "." and names[0] is not None and names[0].lower() == "system" \
                and names[1] in _SYSTEM_TABLES and dot.start == a.end and b.start == dot.end:
            param = f"tallyhouse_access_{names[1]}"
            text = "\n".join(json.dumps(r) for r in _system_rows(store, names[1]))
            # Query parameters arrive in TSV escaping.
            params[param] = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            out.append(sql[last:a.start])
            out.append(f"(SELECT * FROM format(JSONEachRow, {sqltext.quote_string(_SYSTEM_TABLES[names[1]])}, "
                       f"{{{param}:String}}))")
            last = b.end
            k += 3
            continue
        k += 1
    if not params:
        return sql, {}
    out.append(sql[last:])
    return "".join(out), params


def _ident_text(tok: sqltext.Token) -> str | None:
    if tok.kind == "word":
        return tok.text
    if tok.kind == "ident":
        return _unquote(tok.text)
    return None


_IDENTITY_FUNCTIONS = {"currentuser": "user", "current_user": "user", "user": "user",
                       "currentroles": "roles", "current_roles": "roles", "enabledroles": "roles",
                       "enabled_roles": "roles", "defaultroles": "default", "default_roles": "default"}


def identity_rewrite(sql: str, user_name: str, roles: list[str], default_roles: list[str]) -> tuple[str, dict[str, str]]:
    """Answer currentUser() and currentRoles() for the endpoint's user, not the engine's `default`.

    Each call, found by the lexer as a function name followed by `()`, becomes a typed query parameter.
    """
    toks = list(sqltext.tokens(sql))
    values = {
        "user": (user_name, "String"),
        "roles": ("[" + ", ".join(sqltext.quote_string(r) for r in roles) + "]", "Array(String)"),
        "default": ("[" + ", ".join(sqltext.quote_string(r) for r in default_roles) + "]", "Array(String)"),
    }
    out: list[str] = []
    params: dict[str, str] = {}
    last = 0
    for k in range(len(toks) - 2):
        name, opening, closing = toks[k], toks[k + 1], toks[k + 2]
        what = _IDENTITY_FUNCTIONS.get(name.text.lower()) if name.kind == "word" else None
        if what is None or opening.text != "(" or closing.text != ")":
            continue
        if k > 0 and toks[k - 1].text == ".":
            continue  # a qualified name, not the function
        value, type_name = values[what]
        param = f"tallyhouse_identity_{what}"
        params[param] = value
        out.append(sql[last:name.start])
        out.append(f"{{{param}:{type_name}}}")
        last = closing.end
    if not params:
        return sql, {}
    out.append(sql[last:])
    return "".join(out), params
