"""The `ops` database: what the pipeline says about itself (check results, anomaly findings, alerts).

These tables are written by Dagster (checks, the anomaly detector, the alert sender) and read by dbt
(as the `ops` source) and, through dbt models, by the data-health dashboard. Their DDL lives in one
place so the writers, the dbt sources and the tests agree on one shape; `ensure_ops_tables` is
idempotent so every entry point may call it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from warehouse.client import ensure_databases

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

OPS_DATABASE = "ops"

# Check results are history: one row per evaluation; readers take the latest per key (argMax on
# checked_at), so a re-run of a partition supersedes rather than duplicates the verdict.
CHECK_RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS ops.check_results
(
    checked_at     DateTime64(3, 'UTC'),
    business_date  Date,
    check_name     LowCardinality(String),
    asset_key      String,
    subject        String COMMENT 'what the verdict is about: a warehouse, carrier, channel, source, or empty',
    severity       LowCardinality(String) COMMENT 'P0 (page now) .. P3 (note)',
    passed         UInt8,
    value          Nullable(Float64) COMMENT 'the measured number, e.g. record accuracy 0.987',
    threshold      Nullable(Float64),
    message        String,
    run_id         String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(business_date)
ORDER BY (business_date, check_name, asset_key, subject, checked_at)
"""

# Every evaluated (date, dimension, member, metric) is stored with its score, anomalous or not, so a
# dashboard can draw the score over time; a re-run replaces the row (ReplacingMergeTree on the key).
ANOMALY_FINDINGS_DDL = """
CREATE TABLE IF NOT EXISTS ops.anomaly_findings
(
    business_date    Date,
    dimension        LowCardinality(String) COMMENT 'channel | warehouse | carrier',
    member           String COMMENT 'e.g. amazon, CN-SZX, SF',
    metric           LowCardinality(String) COMMENT 'e.g. orders, order_amount, shipments, freight_amount',
    observed         Float64,
    baseline_median  Nullable(Float64),
    baseline_mad     Nullable(Float64),
    baseline_days    UInt16 COMMENT 'how many same-weekday history points the baseline used',
    score            Nullable(Float64) COMMENT 'robust z: (observed - median) / (1.4826 * MAD)',
    direction        LowCardinality(String) COMMENT 'spike | collapse | normal',
    is_anomaly       UInt8,
    threshold        Float64,
    detected_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(detected_at)
PARTITION BY toYYYYMM(business_date)
ORDER BY (business_date, dimension, member, metric)
"""

# One row per alert notification attempt: the sender reads it for throttling and recovery.
ALERT_LOG_DDL = """
CREATE TABLE IF NOT EXISTS ops.alert_log
(
    sent_at     DateTime64(3, 'UTC'),
    alert_key   String COMMENT 'stable identity of the open issue, e.g. check name + asset + subject',
    severity    LowCardinality(String),
    state       LowCardinality(String) COMMENT 'firing | repeat | resolved | throttled',
    channel     LowCardinality(String) COMMENT 'webhook | slack | dingtalk | feishu | wecom | email',
    delivered   UInt8,
    error       String,
    title       String,
    payload     String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(sent_at)
ORDER BY (alert_key, sent_at)
"""

OPS_TABLES = {"check_results": CHECK_RESULTS_DDL, "anomaly_findings": ANOMALY_FINDINGS_DDL,
              "alert_log": ALERT_LOG_DDL}


def ensure_ops_tables(client: Client) -> None:
    ensure_databases(client, [OPS_DATABASE])
    for ddl in OPS_TABLES.values():
        client.command(ddl)
