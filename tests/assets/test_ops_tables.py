"""The ops tables exist after `ensure_ops_tables`, twice in a row, and a re-scored anomaly replaces its row."""

from __future__ import annotations

from assets.ops_tables import OPS_TABLES, ensure_ops_tables


def test_ops_tables_are_created_idempotently_and_replace_rescored_findings(ch_client) -> None:
    ensure_ops_tables(ch_client)
    ensure_ops_tables(ch_client)
    names = {row[0] for row in ch_client.query("SELECT name FROM system.tables WHERE database = 'ops'").result_rows}
    assert set(OPS_TABLES) <= names

    ch_client.command("TRUNCATE TABLE ops.anomaly_findings")
    for detected_at, score in (("2026-01-02 00:00:00", 1.0), ("2026-01-03 00:00:00", 7.5)):
        ch_client.command(
            "INSERT INTO ops.anomaly_findings VALUES ('2026-01-01', 'channel', 'amazon', 'orders', 10, 5, 1, 4, "
            "{score:Float64}, 'spike', 1, 3.5, {at:String})", parameters={"score": score, "at": detected_at})
    rows = ch_client.query("SELECT score FROM ops.anomaly_findings FINAL").result_rows
    assert rows == [(7.5,)]
