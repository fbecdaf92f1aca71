{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='valuation_date',
    order_by=['valuation_date', 'warehouse_id', 'sku'],
    query_settings={'additional_table_filters': raw_read_since(['erp_snapshot'])},
) }}

-- one row per day close x warehouse x sku the book holds: on hand (the book), the moving weighted
-- average unit cost in the base currency as of that close, and the value. the value is exactly
-- on hand x unit cost (Decimal), so the aging mart, which values its buckets at the same unit cost,
-- adds up to it.
with

book as (
    select * from {{ ref('stg_erp__inventory_snapshot') }}
    where {{ business_window('snapshot_date') }}
),

moving_average as (
    select * from {{ ref('int_inventory__moving_average_cost') }}
),

on_hand as (
    select
        snapshot_date,
        warehouse_id,
        sku,
        sum(toInt64(book_qty)) as on_hand_qty,
        count() as lots
    from book
    group by snapshot_date, warehouse_id, sku
),

costed as (
    select
        on_hand.snapshot_date,
        on_hand.warehouse_id,
        on_hand.sku,
        on_hand.on_hand_qty,
        on_hand.lots,
        moving_average.moving_average_unit_cost as unit_cost,
        moving_average.movement_date as cost_as_of
    from on_hand
    asof left join moving_average
        on on_hand.warehouse_id = moving_average.warehouse_id
        and on_hand.sku = moving_average.sku
        and on_hand.snapshot_date >= moving_average.movement_date
),

final as (
    select
        snapshot_date as valuation_date,
        cast(warehouse_id as String) as warehouse_id,
        sku,
        toInt64(on_hand_qty) as on_hand_qty,
        toUInt64(lots) as lots,
        toDecimal64(unit_cost, 4) as unit_cost,
        toDecimal64(on_hand_qty * toDecimal64(unit_cost, 4), 4) as inventory_value,
        cast('{{ var("base_currency") }}' as String) as currency,
        cost_as_of
    from costed
)

select * from final
