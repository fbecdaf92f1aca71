-- The current version of each order line (latest updated_at wins).
{{ config(materialized='view') }}

select order_no, line_no, order_date, sku, qty, amount, updated_at
from {{ source('raw', 'order_lines') }}
order by updated_at desc
limit 1 by order_no, line_no
