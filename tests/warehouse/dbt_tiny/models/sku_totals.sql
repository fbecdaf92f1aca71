-- Rebuilt in full every run.
{{ config(materialized='table', order_by='sku') }}

select sku, sum(qty) as units, sum(amount) as revenue, count() as lines
from {{ ref('stg_order_lines') }}
group by sku
