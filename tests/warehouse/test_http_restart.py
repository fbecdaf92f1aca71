"""A stop and start of the endpoint keeps committed data (own TALLYHOUSE_HOME, own process)."""

from __future__ import annotations

import clickhouse_connect
import clickhouse_connect.driver.exceptions
import pytest

from tests.conftest import free_port
from warehouse import embedded


def test_restart_keeps_data(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TALLYHOUSE_HOME", str(tmp_path))
    port = free_port()
    try:
        status = embedded.start(port=port)
        creds = embedded.credentials()
        client = clickhouse_connect.get_client(host="127.0.0.1", port=port, username=creds.user, password=creds.password)
        client.command("CREATE TABLE kept (x UInt32) ENGINE = MergeTree ORDER BY x")
        client.insert("kept", [[i] for i in range(1000)], column_names=["x"])
        client.command("CREATE USER keeper IDENTIFIED BY 'keeper-pw-1b2c'")
        client.command("GRANT SELECT ON default.kept TO keeper")
        client.close()
        assert embedded.stop() is True
        assert embedded.status().running is False
        restarted = embedded.start(port=port)
        assert restarted.pid != status.pid
        client = clickhouse_connect.get_client(host="127.0.0.1", port=port, username=creds.user, password=creds.password)
        assert client.command("SELECT count(), sum(x) FROM kept") == ["1000", str(999 * 1000 // 2)]
        client.close()
        # users and grants made with SQL survive too, and are still enforced
        keeper = clickhouse_connect.get_client(host="127.0.0.1", port=port, username="keeper", password="keeper-pw-1b2c")
        assert keeper.command("SELECT count() FROM kept") == 1000
        with pytest.raises(clickhouse_connect.driver.exceptions.DatabaseError) as refused:
            keeper.command("DROP TABLE kept")
        assert refused.value.code == 497
        keeper.close()
    finally:
        embedded.stop()
    assert embedded.stop() is False
