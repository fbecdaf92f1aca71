-- One row per order; on later runs only orders with a line changed since the last run are rebuilt.
{{ config(
    materialized='incremental',
    incremental_strategy='delete_insert',
    unique_key='order_no',
    order_by='order_no',
) }}

select order_no,
       any(order_date) as order_date,
       count() as lines,
       sum(qty) as units,
       sum(amount) as amount,
       max(updated_at) as updated_at
from {{ ref('stg_order_lines') }}
{% if is_incremental() %}
where order_no in (
    select order_no from {{ ref('stg_order_lines') }}
    where updated_at > (select max(updated_at) from {{ this }})
)
{% endif %}
group by order_no
