"""The chDB side of the endpoint: connections, per-request state, streamed inserts and results.

Measured facts this module rests on (chDB 4.4): several connections to one data directory can live in
one process, each with its own settings, current database and temporary tables (so one connection per
session or per sessionless request gives ClickHouse's isolation for free, at ~1 ms per connection);
queries on different connections run in parallel with the GIL released, while one connection runs one
query at a time. `send_query` formats every chunk as a separate document (a JSON or Arrow file per
chunk), so results are streamed by having the engine write the single, correctly framed output into
a FIFO (`INTO OUTFILE ... APPEND`) that the handler thread reads and forwards.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chdb import _chdb

from . import sqltext
from .errors import ClickHouseError, from_engine

_PIPE_SIZE = 1 << 20

# Engine configuration: ClickHouse's own query log, so `system.query_log` answers as on a server.
_ENGINE_CONFIG = """<clickhouse>
  <query_log>
    <database>system</database>
    <table>query_log</table>
    <flush_interval_milliseconds>1000</flush_interval_milliseconds>
    <ttl>event_date + INTERVAL 14 DAY DELETE</ttl>
  </query_log>
</clickhouse>
"""
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


@dataclass
class Stats:
    """What X-ClickHouse-Summary reports."""

    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    result_rows: int = 0
    result_bytes: int = 0
    elapsed_ns: int = 0

    def summary(self) -> dict[str, str]:
        return {
            "read_rows": str(self.read_rows),
            "read_bytes": str(self.read_bytes),
            "written_rows": str(self.written_rows),
            "written_bytes": str(self.written_bytes),
            "total_rows_to_read": str(self.read_rows),
            "result_rows": str(self.result_rows),
            "result_bytes": str(self.result_bytes),
            "elapsed_ns": str(self.elapsed_ns),
        }


def _stats_of(result: Any) -> Stats:
    def get(name: str) -> int:
        attr = getattr(result, name, None)
        try:
            return int(attr() if callable(attr) else attr or 0)
        except (TypeError, ValueError):
            return 0

    elapsed = getattr(result, "elapsed", None)
    seconds = float(elapsed() if callable(elapsed) else elapsed or 0.0)
    storage_rows, storage_bytes = get("storage_rows_read"), get("storage_bytes_read")
    return Stats(
        read_rows=storage_rows or get("rows_read"),
        read_bytes=storage_bytes or get("bytes_read"),
        written_rows=get("rows_written"),
        written_bytes=get("bytes_written"),
        result_rows=get("rows_read"),
        result_bytes=get("bytes_read"),
        elapsed_ns=int(seconds * 1e9),
    )


class EngineConnection:
    """One chDB connection; used by one request (or one session) at a time."""

    def __init__(self, raw: Any, readonly: bool):
        self._raw = raw
        self.readonly = readonly
        # Request-scoped settings/database still applied to a session's connection: see `apply`.
        self._overlay_key: tuple[tuple[tuple[str, str], ...], str | None] | None = None
        self._undo: list[str] = []
        if readonly:
            self.execute("SET readonly = 2")

    def execute(self, sql: str, params: Mapping[str, str] | None = None) -> tuple[bytes, Stats]:
        try:
            result = self._raw.query(sql, "TabSeparated", params=dict(params or {}))
        except Exception as exc:  # chDB raises RuntimeError with ClickHouse's message
            raise from_engine(exc) from None
        return bytes(result.bytes()), _stats_of(result)

    def classify(self, sql: str) -> dict[str, Any]:
        try:
            return self._raw.classify_query(sql)
        except Exception as exc:
            raise from_engine(exc) from None

    def apply(self, settings: Mapping[str, str], database: str | None, remember: bool) -> None:
        """Apply request-scoped settings and database.

        With `remember` (a session's connection) they must not outlive the request, yet undoing them
        eagerly cost a `system.settings` lookup plus two SETs (~5 ms) on every request, while clients
        send the same settings on every request of a session. So the overlay stays in place until a
        request arrives with different ones (or `reset_overlay` is called): only the session's own
        requests can observe it, and each of them sees exactly what an eager undo would have left.
        """
        if not remember:
            self._set(settings, database)
            return
        key = (tuple(sorted(settings.items())), database)
        if key == self._overlay_key:
            return
        self.reset_overlay()
        if not settings and not database:
            return
        undo: list[str] = []
        if settings:
            names = ", ".join(sqltext.quote_string(name) for name in settings)
            rows, _ = self.execute(f"SELECT name, value FROM system.settings WHERE name IN ({names})")
            for line in rows.decode("utf-8", "replace").splitlines():
                name, _, value = line.partition("\t")
                if name != "readonly":
                    undo.append(f"SET {sqltext.quote_identifier(name)} = {sqltext.quote_string(_unescape(value))}")
        if database:
            current, _ = self.execute("SELECT currentDatabase()")
            undo.append(f"USE {sqltext.quote_identifier(_unescape(current.decode().rstrip(chr(10))))}")
        self._undo = undo
        try:
            self._set(settings, database)
        except BaseException:
            self.reset_overlay()  # a SET that worked before a failing USE must not leak into the session
            raise
        self._overlay_key = key

    def reset_overlay(self) -> None:
        """Undo the settings and database of earlier requests still applied to this session."""
        undo, self._undo, self._overlay_key = self._undo, [], None
        for statement in undo:
            with contextlib.suppress(ClickHouseError):
                self.execute(statement)

    def _set(self, settings: Mapping[str, str], database: str | None) -> None:
        if settings:
            assignments = ", ".join(
                f"{sqltext.quote_identifier(name)} = {sqltext.quote_string(value)}" for name, value in settings.items()
            )
            self.execute(f"SET {assignments}")
        if database:
            self.execute(f"USE {sqltext.quote_identifier(database)}")

    def insert(self, statement: str, fmt: str, chunks: Iterable[bytes]) -> Stats:
        """Stream FORMAT-encoded bytes into an INSERT; chDB parses them incrementally."""
        try:
            inserter = self._raw.send_insert(statement, fmt)
        except Exception as exc:
            raise from_engine(exc) from None
        try:
            for chunk in chunks:
                if chunk:
                    self._raw.insert_append(inserter, chunk)
            result = self._raw.insert_done(inserter)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                self._raw.insert_cancel(inserter)
            if isinstance(exc, ClickHouseError | OSError | KeyboardInterrupt | SystemExit):
                raise
            raise from_engine(exc) from None
        return Stats(
            written_rows=int(result.rows_written()),
            written_bytes=int(result.bytes_written()),
            elapsed_ns=int(float(result.elapsed()) * 1e9),
        )

    # The name under which `insert_batches` offers a record-batch reader to the engine's Python().
    BATCH_SOURCE = "tallyhouse_arrow_batches"

    def insert_batches(self, sql: str, reader: Any) -> Stats:
        """Run an `INSERT ... SELECT ... FROM Python(tallyhouse_arrow_batches)`, the engine pulling `reader`.

        chDB's Python() table function finds its argument by name among the calling frame's locals,
        hence the local variable named as BATCH_SOURCE.
        """
        tallyhouse_arrow_batches = reader  # noqa: F841 - looked up by name by the engine
        _, stats = self.execute(sql)
        return stats

    def stream(self, sql: str, fmt: str, params: Mapping[str, str], fifo_dir: Path) -> OutputStream:
        return OutputStream(self, sql, fmt, params, fifo_dir)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._raw.close()


def _unescape(value: str) -> str:
    """Undo TabSeparated escaping of a single value."""
    if "\\" not in value:
        return value
    return value.encode("latin-1", "backslashreplace").decode("unicode_escape")


class OutputStream:
    """A result the engine writes into a FIFO while the handler reads it; bytes never pile up."""

    def __init__(self, conn: EngineConnection, sql: str, fmt: str, params: Mapping[str, str], fifo_dir: Path):
        clause = sqltext.output_clause(sql)
        self.format = clause.format or fmt
        self._path = fifo_dir / f"{uuid.uuid4().hex}.out"
        os.mkfifo(self._path, 0o600)
        # Open both ends ourselves: the read end never blocks, and holding a write end until the query
        # is over means EOF arrives only after the engine is done (or failed before opening the file).
        self._rfd = os.open(self._path, os.O_RDONLY | os.O_NONBLOCK)
        self._wfd: int | None = os.open(self._path, os.O_WRONLY | os.O_NONBLOCK)
        with contextlib.suppress(OSError):
            fcntl.fcntl(self._rfd, _F_SETPIPE_SZ, _PIPE_SIZE)
        flags = fcntl.fcntl(self._rfd, fcntl.F_GETFL)
        fcntl.fcntl(self._rfd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        target = f"\nINTO OUTFILE {sqltext.quote_string(str(self._path))} APPEND FORMAT {self.format}"
        tail = sql[clause.settings_at:] if clause.settings_at is not None else ""
        self._sql = sql[: clause.insert_at] + target + (" " + tail if tail else "")
        self._conn = conn
        self._params = dict(params)
        self.stats: Stats | None = None
        self.error: ClickHouseError | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="query", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            _, self.stats = self._conn.execute(self._sql, self._params)
        except ClickHouseError as exc:
            self.error = exc
        except Exception as exc:  # pragma: no cover - defensive
            self.error = from_engine(exc)
        finally:
            self._done.set()
            wfd, self._wfd = self._wfd, None
            if wfd is not None:
                os.close(wfd)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def read(self, size: int = 1 << 20, timeout: float | None = None) -> bytes | None:
        """Up to `size` bytes of output; b'' once the query is over and all output read; None on timeout."""
        if timeout is not None:
            poller = select.poll()  # not select(): descriptors beyond 1024 are normal with many clients
            poller.register(self._rfd, select.POLLIN | select.POLLHUP | select.POLLERR)
            if not poller.poll(max(0, int(timeout * 1000))):
                return None
        return os.read(self._rfd, size)

    def finish(self) -> Stats:
        """Wait for the query; raise its error if it failed."""
        self._thread.join()
        self._cleanup()
        if self.error is not None:
            raise self.error
        return self.stats or Stats()

    def abandon(self) -> None:
        """The client went away: drain and discard the rest so the engine is never stuck on a full pipe."""
        threading.Thread(target=self._drain, name="drain", daemon=True).start()

    def _drain(self) -> None:
        try:
            while os.read(self._rfd, 1 << 20):
                pass
        except OSError:
            pass
        self._thread.join()
        self._cleanup()

    def _cleanup(self) -> None:
        rfd, self._rfd = self._rfd, -1
        if rfd >= 0:
            with contextlib.suppress(OSError):
                os.close(rfd)
        with contextlib.suppress(FileNotFoundError):
            self._path.unlink()


class Engine:
    """Owns the chDB data directory for the life of the process."""

    def __init__(self, data_dir: Path, fifo_dir: Path):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.fifo_dir = Path(fifo_dir)
        self.fifo_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = self.data_dir.parent / f"{self.data_dir.name}.engine.xml"
        config.write_text(_ENGINE_CONFIG, encoding="utf-8")
        # The root connection configures the engine and keeps it (and its data directory lock) alive
        # between requests; later connections share its global context.
        self._root = _chdb.connect(f"{self.data_dir}?config-file={config}")
        root = EngineConnection(self._root, readonly=False)
        out, _ = root.execute("SELECT version(), timezone()")
        self.version, self.timezone = out.decode().rstrip("\n").split("\t")
        self._lock = threading.Lock()

    def connect(self, readonly: bool) -> EngineConnection:
        with self._lock:
            raw = _chdb.connect(str(self.data_dir))
        return EngineConnection(raw, readonly)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._root.close()
