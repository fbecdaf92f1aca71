"""An embedded ClickHouse HTTP endpoint served from one chDB data directory.

chDB allows one process per data directory, so every tool (clickhouse-connect, dbt, Superset) reaches the
embedded warehouse through this process, over ClickHouse's own HTTP protocol, exactly as it would reach a
real server. Run it with `python -m warehouse.server`; `warehouse.embedded` manages it as a background
process.

Access control is the endpoint's own (chDB runs everything as its `default` user): the generated
read-write user is the administrator; the read-only one runs with readonly=2; users and roles made with
CREATE USER / CREATE ROLE get only what GRANT gives them, checked per statement kind and table
(`access`, `dcl`, `privileges`), kept in `secrets/clickhouse-access.json` (0600) beside the users file.
"""
