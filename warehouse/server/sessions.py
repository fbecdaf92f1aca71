"""HTTP sessions: a `session_id` keeps its own engine connection (USE, SET, temporary tables).

As in ClickHouse, a session serves one query at a time (a second concurrent request gets
SESSION_IS_LOCKED) and expires after `session_timeout` seconds of inactivity.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .engine import EngineConnection
from .errors import BAD_ARGUMENTS, SESSION_IS_LOCKED, SESSION_NOT_FOUND, ClickHouseError

DEFAULT_TIMEOUT = 60.0
MAX_TIMEOUT = 3600.0


@dataclass
class Session:
    session_id: str
    user: str
    connection: EngineConnection
    timeout: float
    last_used: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False


class SessionRegistry:
    def __init__(self, connect: Callable[[bool], EngineConnection]):
        self._connect = connect
        self._sessions: dict[tuple[str, str], Session] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._reaper = threading.Thread(target=self._reap, name="session-reaper", daemon=True)
        self._reaper.start()

    def acquire(self, user: str, readonly: bool, session_id: str, timeout: str | None, check: bool) -> Session:
        """The locked session for this request; create it unless `session_check` asks us not to."""
        seconds = DEFAULT_TIMEOUT
        if timeout not in (None, ""):
            try:
                seconds = float(timeout)
            except ValueError as exc:
                raise ClickHouseError(BAD_ARGUMENTS, f"Invalid session timeout: '{timeout}'") from exc
            if seconds > MAX_TIMEOUT:
                raise ClickHouseError(
                    BAD_ARGUMENTS,
                    f"Session timeout '{timeout}' is larger than max_session_timeout: {int(MAX_TIMEOUT)}. "
                    "Maximum session timeout could be modified in configuration file.",
                )
        key = (user, session_id)
        with self._guard:
            session = self._sessions.get(key)
            if session is None:
                if check:
                    raise ClickHouseError(SESSION_NOT_FOUND, f"Session {session_id} not found")
                session = Session(session_id, user, self._connect(readonly), seconds)
                self._sessions[key] = session
            if not session.lock.acquire(blocking=False):
                raise ClickHouseError(SESSION_IS_LOCKED, f"Session {session_id} is locked by a concurrent client")
            if timeout not in (None, ""):
                session.timeout = seconds
        return session

    def release(self, session: Session) -> None:
        session.last_used = time.monotonic()
        session.lock.release()

    def _reap(self) -> None:
        while not self._stop.wait(1.0):
            now = time.monotonic()
            expired: list[Session] = []
            with self._guard:
                for key, session in list(self._sessions.items()):
                    if now - session.last_used > session.timeout and session.lock.acquire(blocking=False):
                        del self._sessions[key]
                        expired.append(session)
            for session in expired:
                session.connection.close()
                session.closed = True
                session.lock.release()

    def close_all(self) -> None:
        self._stop.set()
        with self._guard:
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            session.connection.close()
