"""An embedded ClickHouse HTTP endpoint served from one chDB data directory.

chDB allows one process per data directory, so every tool (clickhouse-connect, dbt, Superset) reaches the
embedded warehouse through this process, over ClickHouse's own HTTP protocol, exactly as it would reach a
real server. Run it with `python -m warehouse.server`; `warehouse.embedded` manages it as a background
process.
"""
