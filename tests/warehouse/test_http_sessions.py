"""HTTP sessions on the endpoint: per-session state, isolation, timeout and the one-query-at-a-time lock."""

from __future__ import annotations

import threading
import time
import uuid

import clickhouse_connect
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from warehouse import embedded


def session_client(endpoint, session_id: str | None = None, **settings):
    creds = embedded.credentials()
    return clickhouse_connect.get_client(
        host="127.0.0.1",
        port=endpoint.port,
        username=creds.user,
        password=creds.password,
        session_id=session_id or f"s-{uuid.uuid4().hex}",
        settings=settings,
    )


def test_use_set_and_temporary_tables_live_in_the_session(endpoint, ch_client):
    ch_client.command("CREATE DATABASE IF NOT EXISTS sess_db")
    first = session_client(endpoint)
    other = session_client(endpoint)
    first.command("USE sess_db")
    first.command("SET max_threads = 1")
    first.command("CREATE TEMPORARY TABLE scratch (x UInt8)")
    first.command("INSERT INTO scratch VALUES (1), (2), (3)")
    assert first.command("SELECT currentDatabase()") == "sess_db"
    assert first.command("SELECT getSetting('max_threads')") == 1
    assert first.command("SELECT sum(x) FROM scratch") == 6
    # Another session (and a sessionless request) sees none of it.
    assert other.command("SELECT currentDatabase()") == "default"
    assert other.command("SELECT getSetting('max_threads')") != 1
    with pytest.raises(DatabaseError) as missing:
        other.command("SELECT sum(x) FROM scratch")
    assert missing.value.code == 60
    assert ch_client.command("SELECT currentDatabase()") == "default"


def test_per_request_settings_do_not_stick_to_the_session(endpoint):
    client = session_client(endpoint)
    assert client.command("SELECT getSetting('max_threads')", settings={"max_threads": 1}) == 1
    assert client.command("SELECT getSetting('max_threads')") != 1


def test_repeated_request_settings_still_never_reach_the_session(endpoint, ch_client):
    """The server keeps a request's settings applied while the next requests of the session carry the
    same ones; whatever the order of requests, each must see only the session's own state plus its
    own request settings."""
    ch_client.command("CREATE DATABASE IF NOT EXISTS sess_overlay")
    client = session_client(endpoint)
    base_threads = client.command("SELECT getSetting('max_threads')")
    same = {"max_threads": 1}
    for _ in range(3):
        assert client.command("SELECT getSetting('max_threads')", settings=same) == 1
    # A SET under request settings persists; the request settings themselves do not.
    client.command("SET max_block_size = 777", settings=same)
    assert client.command("SELECT getSetting('max_threads')", settings=same) == 1
    assert client.command("SELECT getSetting('max_threads')") == base_threads
    assert client.command("SELECT getSetting('max_block_size')") == 777
    # The database parameter is request-scoped too.
    assert client.command("SELECT currentDatabase()", settings={"database": "sess_overlay"}) == "sess_overlay"
    assert client.command("SELECT currentDatabase()", settings={"database": "sess_overlay"}) == "sess_overlay"
    assert client.command("SELECT currentDatabase()") == "default"
    # Settings that applied before a failing database switch do not leak into the session either.
    with pytest.raises(DatabaseError) as missing:
        client.command("SELECT 1", settings={"max_threads": 1, "database": "no_such_db_overlay"})
    assert missing.value.code == 81
    assert client.command("SELECT getSetting('max_threads')") == base_threads
    assert client.command("SELECT currentDatabase()") == "default"


def test_session_expires_after_its_timeout(endpoint):
    sid = f"s-{uuid.uuid4().hex}"
    client = session_client(endpoint, sid, session_timeout=1)
    client.command("CREATE TEMPORARY TABLE short_lived (x UInt8)")
    assert client.command("EXISTS TEMPORARY TABLE short_lived") == 1
    time.sleep(3)
    assert client.command("EXISTS TEMPORARY TABLE short_lived") == 0


def test_concurrent_use_of_one_session_is_refused(endpoint):
    sid = f"s-{uuid.uuid4().hex}"
    slow = session_client(endpoint, sid)
    fast = session_client(endpoint, sid)
    started = threading.Event()

    def run_slow() -> None:
        started.set()
        slow.command("SELECT sleep(2)")

    thread = threading.Thread(target=run_slow)
    thread.start()
    started.wait()
    time.sleep(0.5)
    with pytest.raises(DatabaseError) as locked:
        fast.command("SELECT 1")
    thread.join()
    assert locked.value.code == 373
    assert fast.command("SELECT 1") == 1  # free again once the slow query is over


def test_sequential_requests_on_one_session_never_see_it_locked(endpoint):
    """The session is free as soon as a response is complete, even when the next request comes on
    another socket (clickhouse-connect's pool does that)."""
    sid = f"s-{uuid.uuid4().hex}"
    clients = [session_client(endpoint, sid), session_client(endpoint, sid)]
    clients[0].command("SET max_threads = 1")
    for i in range(60):
        assert clients[i % 2].command("SELECT getSetting('max_threads')", settings={"max_block_size": 1000 + i}) == 1
