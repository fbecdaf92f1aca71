-- Rebuilt in full every run; readable by the dashboard-like user named in DBT_TINY_READER (dbt grants).
{{ config(materialized='table', order_by='sku', grants={'select': [env_var('DBT_TINY_READER')]}) }}

select sku, sum(qty) as units, sum(amount) as revenue, count() as lines
from {{ ref('stg_order_lines') }}
group by sku
