"""Many clients at once, and a slow query that must not hold up a fast one."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import clickhouse_connect

from warehouse import embedded


def new_client(endpoint):
    creds = embedded.credentials()
    return clickhouse_connect.get_client(
        host="127.0.0.1", port=endpoint.port, username=creds.user, password=creds.password
    )


def test_n_concurrent_clients_get_their_own_answers(endpoint):
    def work(k: int) -> tuple[int, int]:
        client = new_client(endpoint)
        try:
            return k, client.command(f"SELECT sum(number) FROM numbers({k * 10000})")
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(work, range(1, 33)))
    for k, total in results:
        n = k * 10000
        assert total == n * (n - 1) // 2


def test_slow_query_does_not_block_a_fast_one(endpoint):
    slow_client, fast_client = new_client(endpoint), new_client(endpoint)
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = time.monotonic()
        slow = pool.submit(slow_client.command, "SELECT sleep(3)")
        time.sleep(0.3)
        fast_started = time.monotonic()
        assert fast_client.command("SELECT 1") == 1
        fast_done = time.monotonic()
        assert not slow.done(), "the fast query should finish while the slow one still runs"
        slow.result()
    assert fast_done - fast_started < time.monotonic() - started
