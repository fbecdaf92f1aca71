-- One row per day, partitioned by day; later runs replace only the partitions from the last loaded day on.
{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='order_date',
    order_by='order_date',
) }}

select order_date,
       uniqExact(order_no) as orders,
       sum(qty) as units,
       sum(amount) as amount
from {{ ref('stg_order_lines') }}
{% if is_incremental() %}
where order_date >= (select max(order_date) from {{ this }})
{% endif %}
group by order_date
