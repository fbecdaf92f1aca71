"""One HTTP request of ClickHouse's HTTP interface, from parameters to streamed response."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import secrets
import tempfile
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import pyarrow as pa

from . import arrowfile, arrowinsert, codecs, dcl, privileges, sqltext, systemddl, visibility
from .engine import EngineConnection, OutputStream, Stats
from .errors import (
    ACCESS_DENIED,
    CANNOT_READ_ARROW,
    READONLY,
    SYNTAX_ERROR,
    THERE_IS_NO_COLUMN,
    UNKNOWN_TYPE_OF_QUERY,
    UNKNOWN_USER,
    ClickHouseError,
    from_engine,
)
from .request import RequestParams, body_chunks, classify_params, external_tables, parse_multipart, prefetch
from .users import User, authenticate, request_credentials

if TYPE_CHECKING:
    from .server import EndpointServer

log = logging.getLogger("warehouse.server")

_HEAD_LIMIT = 1 << 20  # bytes of output buffered before committing to a streamed 200
_HEAD_WAIT = 0.2  # seconds a query may run before the response is committed to a streamed 200
_TRUE = ("1", "true", "True")


def _content_type(fmt: str | None) -> str:
    name = (fmt or "").lower()
    if name.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if name.startswith("csv"):
        return "text/csv; charset=UTF-8; header=absent"
    if name.startswith("json"):
        return "application/json; charset=UTF-8"
    if name.startswith(("pretty", "vertical", "markdown", "xml", "values")):
        return "text/plain; charset=UTF-8"
    return "application/octet-stream"


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ClickHouse"
    sys_version = ""
    # Socket timeout: an idle keep-alive connection is closed after it, as clickhouse-server does with
    # keep_alive_timeout; a client stalling mid-request for this long is dropped too.
    timeout = 30
    # TCP_NODELAY on every client connection. A response goes out in several writes (headers, body,
    # chunks); with Nagle's algorithm the second write waits for the client to ACK the first, and
    # loopback clients delay that ACK by ~40 ms, so every answer with a body cost ~45 ms. ClickHouse
    # server sets TCP_NODELAY on its HTTP sockets for the same reason.
    disable_nagle_algorithm = True
    server: EndpointServer

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s " + format, self.address_string(), *args)

    _response_started = False

    def send_response(self, code: int, message: str | None = None) -> None:
        self._response_started = True
        super().send_response(code, message)

    def do_GET(self) -> None:
        self._response_started = False
        self._handle("GET")

    def do_POST(self) -> None:
        self._response_started = False
        self._handle("POST")

    # -- plumbing -------------------------------------------------------------------------------

    def _base_headers(self, query_id: str | None) -> list[tuple[str, str]]:
        headers = [("X-ClickHouse-Server-Display-Name", self.server.display_name)]
        if query_id:
            headers.append(("X-ClickHouse-Query-Id", query_id))
        return headers

    def _send_plain(self, status: int, body: bytes, headers: list[tuple[str, str]] | None = None) -> None:
        self.send_response(status)
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def _send_error(self, exc: ClickHouseError, query_id: str | None) -> None:
        headers = self._base_headers(query_id) + [("X-ClickHouse-Exception-Code", str(exc.code))]
        self._send_plain(exc.http_status, exc.render(self.server.engine.version).encode("utf-8"), headers)

    def _drain(self, raw: Iterator[bytes]) -> None:
        try:
            for _ in raw:
                pass
        except (OSError, ValueError):
            self.close_connection = True

    # -- request --------------------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        started = time.monotonic()
        url = urlsplit(self.path)
        raw = body_chunks(self.rfile, self.headers)
        if url.path in ("/ping", "/replicas_status") or (url.path == "/" and not url.query and method == "GET"):
            self._drain(raw)
            self._send_plain(200, b"Ok.\n")
            return
        if url.path not in ("/", "/query"):
            self._drain(raw)
            self._send_plain(404, b"There is no handle " + url.path.encode() + b"\n")
            return
        pairs = parse_qsl(url.query, keep_blank_values=True, encoding="utf-8", errors="surrogateescape")
        files: dict[str, bytes] = {}
        content_type = self.headers.get("Content-Type") or ""
        query_id = None
        try:
            body: Iterator[bytes]
            if content_type.lower().startswith("multipart/form-data"):
                fields, files = parse_multipart(content_type, b"".join(raw))
                pairs = pairs + fields
                body = iter(())
            else:
                body = codecs.decompress_stream(raw, self.headers.get("Content-Encoding"))
            params = classify_params(pairs, set(files))
            params.external = external_tables(pairs, files)
            query_id = params.transport.get("query_id") or str(uuid.uuid4())
            name, password = request_credentials(self.headers, dict(pairs))
            user = authenticate(self.server.users, name, password, self.server.access)
            self._execute(method, user, params, body, raw, query_id)
        except ClickHouseError as exc:
            self._drain(raw)
            self._send_error(exc, query_id)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as exc:  # a bug of ours: answer like ClickHouse's std::exception, keep serving
            log.exception("unexpected error, query_id=%s", query_id)
            self.close_connection = True
            if not self._response_started:
                self._send_error(from_engine(exc), query_id)
        finally:
            log.info("%s %s query_id=%s %.3fs", method, url.path, query_id, time.monotonic() - started)

    def _read_statement(self, params: RequestParams, body: Iterator[bytes]):
        """Collect the statement text; for an INSERT with inline data stop where the data starts."""
        query_param = params.transport.get("query", "")
        head = bytearray(query_param.encode("utf-8", "surrogateescape"))
        first = next(body, None)
        if first is not None:
            if head:
                head += b"\n"
            head += first
        eof = first is None
        while True:
            text = head.decode("latin-1")
            keyword = sqltext.first_keyword(text)
            if keyword == "INSERT":
                split = sqltext.split_insert(text)
                if split is False and eof:
                    split = sqltext.split_insert(text + "\n")
                if split is not False:
                    if split is None:
                        break
                    statement = split.statement.encode("latin-1").decode("utf-8", "surrogateescape")
                    rest = bytes(head[split.data_offset:])
                    return sqltext.escape_non_utf8(statement), split.format, _prepend(rest, body)
                if eof:
                    break
            elif keyword or eof:
                for chunk in body:
                    head += chunk
                break
            chunk = next(body, None)
            if chunk is None:
                eof = True
            else:
                head += chunk
        for chunk in body:
            head += chunk
        text = bytes(head).decode("utf-8", "surrogateescape")
        return sqltext.escape_non_utf8(text), None, None

    def _execute(self, method, user, params: RequestParams, body, raw, query_id: str) -> None:
        server = self.server
        statement, insert_format, data = self._read_statement(params, body)
        if (user.readonly or user.managed) and (what := sqltext.external_access(statement)):
            raise ClickHouseError(
                ACCESS_DENIED, f"{user.name}: Not enough privileges: {what} reads outside the database "
                "and is not allowed for read-only users", "ACCESS_DENIED",
            )
        session = None
        transport = params.transport
        if transport.get("session_id"):
            session = server.sessions.acquire(
                user.name, user.readonly, transport["session_id"], transport.get("session_timeout"),
                transport.get("session_check") in _TRUE,
            )
            conn: EngineConnection | None = session.connection
        else:
            conn = server.engine.connect(user.readonly)
        created: list[str] = []
        # A SET or USE changes the session itself; undo this request's overlay right after it, so the
        # statement's effect is judged against the session's own state, as before overlays were kept.
        changes_session = sqltext.first_keyword(statement) in ("SET", "USE")

        def finish_engine_work() -> None:
            """Undo request state and free the session/connection: runs before the last bytes go out,
            because a client may send its next request on the session the moment it has the answer."""
            nonlocal session, conn
            if conn is None:
                return
            try:
                if session is not None:
                    for ident in created:
                        with contextlib.suppress(ClickHouseError):
                            conn.execute(f"DROP TEMPORARY TABLE IF EXISTS {ident}")
                    if changes_session:
                        conn.reset_overlay()
            finally:
                if session is not None:
                    server.sessions.release(session)
                else:
                    conn.close()
                conn = None

        self._finish_engine_work = finish_engine_work
        try:
            settings = dict(params.settings)
            if method == "GET" and session is None and not user.readonly and "readonly" not in settings:
                settings["readonly"] = "2"  # as clickhouse-server: GET requests cannot modify data
            conn.apply(settings, transport.get("database") or None, remember=session is not None)
            for table in params.external:
                ident = sqltext.quote_identifier(table.name)
                conn.execute(f"CREATE TEMPORARY TABLE {ident} ({table.structure}) ENGINE = Memory")
                created.append(ident)
                conn.insert(f"INSERT INTO {ident}", table.format, [table.data])
            keywords = dcl.head(statement) if insert_format is None else None
            if keywords is not None:
                self._run_access(conn, user, statement, keywords, params, query_id, settings)
                return
            if user.managed:
                filters = self._authorize(conn, user, statement, params, insert_format is not None)
                if filters:  # row policies, applied by the engine to every read of those tables
                    text = "{" + ", ".join(f"{sqltext.quote_string(k)}: {sqltext.quote_string(v)}"
                                           for k, v in filters.items()) + "}"
                    settings = {**settings, "additional_table_filters": text}
                    conn.apply(settings, transport.get("database") or None, remember=session is not None)
            if insert_format is None:
                statement, params = self._answer_access_views(statement, params, user)
            if insert_format == "Values" and params.query_params:
                # Values rows may hold {name:Type} substitutions, which only a whole query resolves.
                rows = b"".join(data).decode("utf-8", "surrogateescape")
                full = f"{statement} VALUES {sqltext.escape_non_utf8(rows)}"
                _, stats = conn.execute(full, params.query_params)
                self._respond_done(b"", None, stats, query_id, settings)
            elif insert_format is not None:
                if insert_format.lower() == "arrow":
                    data, insert_format = arrowfile.as_stream(data)
                plain = arrowinsert.plain_insert(statement) if insert_format == "ArrowStream" else None
                if plain is not None:
                    stats = self._insert_batches(conn, plain, prefetch(data))
                else:
                    stats = conn.insert(statement, insert_format, prefetch(data))
                self._drain(raw)
                self._respond_done(b"", None, stats, query_id, settings)
            else:
                statement, params = self._system_show_create(conn, statement, params)
                self._run_query(conn, statement, params, query_id, settings)
        finally:
            self._finish_engine_work = None
            finish_engine_work()

    def _run_access(self, conn: EngineConnection, user: User, statement: str, keywords: tuple[str, ...],
                    params: RequestParams, query_id: str, settings) -> None:
        """An access-management statement, answered by the endpoint's AccessStore (see dcl/access)."""
        clause = sqltext.output_clause(statement)
        body = statement[: clause.insert_at]
        self_only = keywords[:2] == ("SHOW", "GRANTS") and not dcl.head_mentions_other(body, user.name)
        if not user.admin and not self_only:
            raise ClickHouseError(
                ACCESS_DENIED,
                f"{user.name}: Not enough privileges. To execute this query, it's necessary to have the grant "
                "ACCESS MANAGEMENT ON *.* (only the administrator manages access on this endpoint)",
            )
        if keywords[0] != "SHOW" and settings.get("readonly", "0") not in ("0", ""):
            raise ClickHouseError(READONLY, "Cannot execute query in readonly mode", "READONLY")
        if keywords[1:2] != ("USER",):  # never send passwords to the engine (its query log keeps queries)
            conn.execute(f"EXPLAIN AST {body}", params.query_params)  # the engine's syntax check
        current, _ = conn.execute("SELECT currentDatabase()")
        result = dcl.Executor(self.server.access, current.decode("utf-8").rstrip("\n")).run(body, keywords, user.name)
        if result.rows is None:
            self._respond_done(b"", None, Stats(), query_id, settings)
            return
        rows = "[" + ", ".join(sqltext.quote_string(row) for row in result.rows) + "]"
        sql = f"SELECT arrayJoin({{tallyhouse_rows:Array(String)}}) AS {sqltext.quote_identifier(result.column or 'name')}"
        if clause.format:
            sql += f" FORMAT {clause.format}"
        answer = dataclasses.replace(params, query_params={"tallyhouse_rows": rows})
        self._run_query(conn, sql, answer, query_id, settings)

    def _answer_access_views(self, statement: str, params: RequestParams, user: User) -> tuple[str, RequestParams]:
        """system.grants/users/roles/role_grants and currentUser()/currentRoles() from the endpoint's
        own access state (the engine only knows its `default` user)."""
        lowered = statement.lower()
        extra: dict[str, str] = {}
        if "system" in lowered:
            statement, found = dcl.system_access_rewrite(statement, self.server.access)
            extra.update(found)
        if "user" in lowered or "roles" in lowered:
            roles: list[str] = []
            defaults: list[str] = []
            principal = self.server.access.users.get(user.name) if user.managed else None
            if principal is not None:
                role = params.transport.get("role")
                chosen = [r.strip() for r in role.split(",") if r.strip()] if role else None
                roles = self.server.access.active_roles(principal, chosen)
                defaults = self.server.access.active_roles(principal)
            statement, found = dcl.identity_rewrite(statement, user.name, roles, defaults)
            extra.update(found)
        if extra:
            params = dataclasses.replace(params, query_params={**params.query_params, **extra})
        return statement, params

    def _authorize(self, conn: EngineConnection, user: User, statement: str, params: RequestParams,
                   has_data: bool) -> dict[str, str]:
        """Refuse a created user's statement unless its grants cover every table it touches; return the
        `additional_table_filters` that apply: the row policies of the tables it reads and the metadata
        visibility of its grants (see `visibility`)."""
        store = self.server.access
        principal = store.users.get(user.name)
        if principal is None:  # dropped while connected
            raise ClickHouseError(UNKNOWN_USER, f"There is no user `{user.name}` in `user directories`")
        if "additional_table_filters" in statement.lower() or "additional_table_filters" in params.settings:
            raise ClickHouseError(
                ACCESS_DENIED, f"{user.name}: Not enough privileges: additional_table_filters carries the row "
                "policies and metadata visibility of this endpoint and cannot be set by created users",
            )
        # An INSERT whose data follows arrives without its FORMAT clause, which the parser wants back.
        parsed = f"{statement} FORMAT TabSeparated" if has_data else statement[: sqltext.output_clause(statement).insert_at]
        tree, _ = conn.execute(f"EXPLAIN AST {parsed}", params.query_params)
        current, _ = conn.execute("SELECT currentDatabase()")
        database = current.decode("utf-8").rstrip("\n")

        def existing(candidates: set[tuple[str, str]]) -> set[tuple[str, str]]:
            pairs = "[" + ", ".join(f"({sqltext.quote_string(d)}, {sqltext.quote_string(t)})" for d, t in candidates) + "]"
            out, _ = conn.execute(
                "SELECT database, name FROM system.tables WHERE has({pairs:Array(Tuple(String, String))}, (database, name))",
                {"pairs": pairs},
            )
            return {tuple(line.split("\t", 1)) for line in out.decode("utf-8").splitlines()}

        try:
            needs = privileges.requirements(statement, tree.decode("utf-8"), database, existing)
        except privileges.AdminOnly as exc:
            raise ClickHouseError(
                ACCESS_DENIED,
                f"{user.name}: Not enough privileges. {exc} is for the administrator only on this endpoint",
            ) from None
        role = params.transport.get("role")
        roles = [r.strip() for r in role.split(",") if r.strip()] if role else None
        store.active_roles(principal, roles)  # refuses roles not granted, even when no table is touched
        for need in needs:
            if not store.allowed(principal, need.privilege, need.database, need.table, roles):
                raise ClickHouseError(
                    ACCESS_DENIED,
                    f"{user.name}: Not enough privileges. To execute this query, it's necessary to have the "
                    f"grant {privileges.describe(need)}",
                )
        read = {(n.database, n.table) for n in needs if n.privilege == "SELECT" and n.table is not None}
        filters = visibility.metadata_filters(store.effective_grants(principal, roles))
        return {**filters, **store.row_filters(principal, read, roles)}

    def _insert_batches(self, conn: EngineConnection, plain: arrowinsert.PlainInsert, data: Iterator[bytes]) -> Stats:
        """An ArrowStream insert decoded by pyarrow and pulled by the engine (see arrowinsert)."""
        try:
            try:
                reader = arrowinsert.open_stream(data)
            except (pa.ArrowInvalid, OSError) as exc:
                raise ClickHouseError(CANNOT_READ_ARROW, f"Error while reading Arrow data: {exc}") from None
            sql = arrowinsert.select_sql(plain, reader.schema, conn.BATCH_SOURCE)
            if sql is None:
                raise ClickHouseError(
                    THERE_IS_NO_COLUMN, f"None of the columns {', '.join(plain.columns)} is in the Arrow data"
                )
            stats = conn.insert_batches(sql, reader)
            for _ in data:  # what follows the end-of-stream marker, so the body is fully read
                pass
            return stats
        finally:
            close = getattr(data, "close", None)
            if close is not None:
                close()  # stops the prefetch thread before anyone else reads the body

    def _system_show_create(self, conn: EngineConnection, statement: str,
                            params: RequestParams) -> tuple[str, RequestParams]:
        """`SHOW CREATE TABLE system.x` answered by `systemddl`; any other statement unchanged."""
        answer = systemddl.answer(statement, conn.execute)
        if answer is None:
            return statement, params
        sql, query_params = answer
        return sql, dataclasses.replace(params, query_params=query_params)

    def _run_query(self, conn: EngineConnection, sql: str, params: RequestParams, query_id: str, settings) -> None:
        if not sqltext.statement_end(sql):
            raise ClickHouseError(SYNTAX_ERROR, "Empty query.", "SYNTAX_ERROR")
        info = conn.classify(sql)
        if int(info.get("statement_count", 1)) > 1:
            raise ClickHouseError(SYNTAX_ERROR, "Syntax error: Multi-statements are not allowed", "SYNTAX_ERROR")
        keyword = sqltext.first_keyword(sql)
        query_class = getattr(info.get("query_class"), "name", str(info.get("query_class")))
        if query_class != "READ_ONLY" or keyword in ("SET", "USE", "INSERT"):
            output, stats = conn.execute(sql, params.query_params)
            self._respond_done(output, None, stats, query_id, settings)
            return
        if sqltext.has_into_outfile(sql):
            raise ClickHouseError(UNKNOWN_TYPE_OF_QUERY, "INTO OUTFILE is not allowed over HTTP")
        default_format = params.transport.get("default_format") or settings.get("default_format") or "TabSeparated"
        out = conn.stream(sql, default_format, params.query_params, self.server.engine.fifo_dir)
        self._respond_stream(out, query_id, settings, params.transport.get("wait_end_of_query") in _TRUE)

    # -- responses ------------------------------------------------------------------------------

    def _encoding(self, settings) -> str | None:
        if settings.get("enable_http_compression") in _TRUE or self._transport_compress:
            return codecs.choose_encoding(self.headers.get("Accept-Encoding"))
        return None

    @property
    def _transport_compress(self) -> bool:
        query = urlsplit(self.path).query
        return any(k == "enable_http_compression" and v in _TRUE for k, v in parse_qsl(query))

    def _common(self, query_id: str, stats: Stats | None, fmt: str | None, settings) -> list[tuple[str, str]]:
        headers = self._base_headers(query_id)
        if fmt:
            headers.append(("X-ClickHouse-Format", fmt))
        headers.append(("X-ClickHouse-Timezone", settings.get("session_timezone") or self.server.engine.timezone))
        headers.append(("X-ClickHouse-Summary", json.dumps((stats or Stats()).summary(), separators=(",", ":"))))
        headers.append(("Content-Type", _content_type(fmt) if fmt else "text/plain; charset=UTF-8"))
        return headers

    def _engine_done(self) -> None:
        finish = getattr(self, "_finish_engine_work", None)
        if finish is not None:
            finish()

    def _respond_done(self, output: bytes, fmt: str | None, stats: Stats, query_id: str, settings) -> None:
        self._engine_done()
        headers = self._common(query_id, stats, fmt, settings)
        encoding = self._encoding(settings) if output else None
        if encoding:
            comp = codecs.compressor(encoding)
            output = comp.compress(output) + comp.flush()
            headers.append(("Content-Encoding", encoding))
        self.send_response(200)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(output)))
        self.end_headers()
        if output:
            self.wfile.write(output)

    def _respond_at_end(self, out: OutputStream, query_id: str, settings) -> None:
        """wait_end_of_query=1: spool the whole result (to disk beyond 64 MiB), then answer with real stats."""
        with tempfile.SpooledTemporaryFile(max_size=64 << 20, dir=self.server.engine.fifo_dir) as spool:
            while piece := out.read():
                spool.write(piece)
            stats = out.finish()
            self._engine_done()
            comp = self._start_chunked(self._common(query_id, stats, out.format, settings), settings)
            spool.seek(0)
            while piece := spool.read(1 << 20):
                data = comp.compress(piece) if comp is not None else piece
                if data:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            tail = comp.flush() if comp is not None else b""
            if tail:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(tail), tail))
            self.wfile.write(b"0\r\n\r\n")

    def _start_chunked(self, headers: list[tuple[str, str]], settings) -> Any:
        """Send a 200 with chunked transfer (and the client's chosen compression); returns the
        compressor the body must go through, or None."""
        encoding = self._encoding(settings)
        comp = codecs.compressor(encoding) if encoding else None
        if encoding:
            headers.append(("Content-Encoding", encoding))
        self.send_response(200)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        return comp

    def _respond_stream(self, out: OutputStream, query_id: str, settings, wait_end: bool) -> None:
        # Like clickhouse-server, answer small or quick results whole (exact summary, errors as HTTP
        # errors) and commit to a streamed 200 once output piles up or the query runs on; an error
        # after that point travels in-band, as ClickHouse's tagged exception block.
        if wait_end:
            self._respond_at_end(out, query_id, settings)
            return
        pending: list[bytes] = []
        size = 0
        finished = False
        deadline = time.monotonic() + _HEAD_WAIT
        try:
            while size < _HEAD_LIMIT and time.monotonic() < deadline:
                piece = out.read(timeout=deadline - time.monotonic())
                if piece is None:
                    break
                if not piece:
                    finished = True
                    break
                pending.append(piece)
                size += len(piece)
        except OSError:
            finished = True
        if finished:
            stats = out.finish()  # raises the query's error before anything was sent
            self._respond_done(b"".join(pending), out.format, stats, query_id, settings)
            return
        tag = secrets.token_hex(8)
        headers = self._common(query_id, None, out.format, settings)
        headers.append(("X-ClickHouse-Exception-Tag", tag))
        comp = self._start_chunked(headers, settings)

        def send(data: bytes) -> None:
            if comp is not None:
                data = comp.compress(data)
            if data:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        try:
            for piece in pending:
                send(piece)
            pending.clear()
            while piece := out.read():
                send(piece)
        except OSError:
            out.abandon()
            self.close_connection = True
            return
        try:
            try:
                out.finish()
            finally:
                self._engine_done()
        except ClickHouseError as exc:
            message = exc.render(self.server.engine.version).rstrip("\n")
            block = f"__exception__\r\n{tag}\r\n{message}\n{len(message.encode())} {tag}\r\n__exception__\r\n"
            send(block.encode("utf-8"))
            self.close_connection = True
        except Exception as exc:  # pragma: no cover - defensive
            send(from_engine(exc).render(self.server.engine.version).encode())
            self.close_connection = True
        if comp is not None:
            tail = comp.flush()
            if tail:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(tail), tail))
        self.wfile.write(b"0\r\n\r\n")
