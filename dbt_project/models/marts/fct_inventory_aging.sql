{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='snapshot_date',
    order_by=['snapshot_date', 'warehouse_id', 'sku', 'bucket_order'],
) }}

-- one row per day close x warehouse x sku x age bucket holding stock. FIFO: what is on hand is what
-- arrived last, so the book on-hand quantity is allocated to the inbound layers newest first
-- (a running sum over the layers, no row loop). rules:
--   * a layer ages from the day its lot was first received: transfers carry the lot's age, returned
--     goods come back as old as they left (int_inventory__fifo_layers);
--   * on hand beyond every known layer (history before the data) is of unknown age: reported as
--     the oldest bucket, the prudent side for write-down reviews;
--   * negative on hand (the book shipped before its receipt was booked) is owed from the next
--     receipt, so it sits in the newest bucket, as a negative quantity.
-- buckets are valued at the valuation mart's moving average unit cost, so they add up to it.
with

valuation as (
    select * from {{ ref('fct_inventory_valuation') }}
    where {{ business_window('valuation_date') }}
),

layers as (
    select * from {{ ref('int_inventory__fifo_layers') }}
    where movement_date < {{ window_end() }}
),

flows as (
    select * from {{ ref('int_inventory__daily_flows') }}
    where movement_date < {{ window_end() }}
        and movement_date >= {{ window_start() }} - {{ var('sales_lookback_days') }}
),

-- a sku missing from the master (should not happen, the master is the catalogue) is still aged:
-- its category is '' rather than the row being dropped, so the buckets keep adding up
sku_master as (
    select sku, category from {{ ref('stg_erp__sku_master') }}
),

-- the first day the book has movements (from the costed movements table: the daily flows would
-- group every movement again just for their earliest date)
history_start as (
    select min(movement_date) as first_movement_date
    from {{ ref('int_inventory__movements_costed') }}
),

layers_as_of_close as (
    select
        valuation.valuation_date as snapshot_date,
        valuation.warehouse_id as warehouse_id,
        valuation.sku as sku,
        valuation.on_hand_qty as on_hand_qty,
        layers.layer_qty,
        layers.age_date,
        sum(layers.layer_qty) over (
            partition by valuation.valuation_date, valuation.warehouse_id, valuation.sku
            order by layers.age_date desc, layers.movement_date desc, layers.doc_no desc, layers.lot_id desc,
                layers.source_file desc, layers.source_row desc
            rows between unbounded preceding and current row
        ) as newer_and_this_qty
    from valuation
    inner join layers
        on valuation.warehouse_id = layers.warehouse_id
        and valuation.sku = layers.sku
    where layers.movement_date <= valuation.valuation_date
        and valuation.on_hand_qty > 0
),

allocated as (
    select
        snapshot_date,
        warehouse_id,
        sku,
        toInt64(least(layer_qty, greatest(on_hand_qty - (newer_and_this_qty - layer_qty), 0))) as qty,
        toInt64(dateDiff('day', age_date, snapshot_date)) as age_days
    from layers_as_of_close
    where on_hand_qty - (newer_and_this_qty - layer_qty) > 0
),

allocated_totals as (
    select snapshot_date, warehouse_id, sku, sum(qty) as allocated_qty
    from allocated
    group by snapshot_date, warehouse_id, sku
),

-- what no layer explains: unknown-age stock (positive) or a negative book (see the rules above)
unallocated as (
    select
        valuation.valuation_date as snapshot_date,
        valuation.warehouse_id as warehouse_id,
        valuation.sku as sku,
        toInt64(valuation.on_hand_qty - coalesce(allocated_totals.allocated_qty, 0)) as qty,
        toInt64(if(qty > 0, 100000, 0)) as age_days
    from valuation
    left join allocated_totals
        on valuation.valuation_date = allocated_totals.snapshot_date
        and valuation.warehouse_id = allocated_totals.warehouse_id
        and valuation.sku = allocated_totals.sku
    where qty != 0
),

aged as (
    select * from allocated
    union all
    select * from unallocated
),

bucketed as (
    select
        snapshot_date,
        warehouse_id,
        sku,
        multiIf(age_days <= 30, 1, age_days <= 60, 2, age_days <= 90, 3, age_days <= 180, 4,
            age_days <= 365, 5, 6) as bucket_order,
        sum(qty) as qty
    from aged
    group by snapshot_date, warehouse_id, sku, bucket_order
),

trailing_sales as (
    select
        valuation.valuation_date as snapshot_date,
        valuation.warehouse_id as warehouse_id,
        valuation.sku as sku,
        sum(flows.sold_qty) as sold_qty
    from valuation
    inner join flows
        on valuation.warehouse_id = flows.warehouse_id
        and valuation.sku = flows.sku
    where flows.movement_date <= valuation.valuation_date
        and flows.movement_date > valuation.valuation_date - {{ var('sales_lookback_days') }}
    group by snapshot_date, warehouse_id, sku
),

final as (
    select
        bucketed.snapshot_date as snapshot_date,
        cast(bucketed.warehouse_id as String) as warehouse_id,
        bucketed.sku as sku,
        cast(coalesce(sku_master.category, '') as String) as category,
        toUInt8(bucketed.bucket_order) as bucket_order,
        cast(
            ['0-30', '31-60', '61-90', '91-180', '181-365', '>365'][bucketed.bucket_order] as String
        ) as age_bucket,
        toInt64(bucketed.qty) as qty,
        toDecimal64(bucketed.qty * valuation.unit_cost, 4) as inventory_value,
        toInt64(valuation.on_hand_qty) as on_hand_qty,
        toDecimal64(valuation.unit_cost, 4) as unit_cost,
        toInt64(coalesce(trailing_sales.sold_qty, 0)) as trailing_sold_qty,
        toUInt32(least(
            {{ var('sales_lookback_days') }},
            dateDiff('day', assumeNotNull((select first_movement_date from history_start)), bucketed.snapshot_date) + 1
        )) as trailing_days,
        toFloat64(trailing_sold_qty / trailing_days) as avg_daily_sales,
        cast(if(avg_daily_sales > 0, valuation.on_hand_qty / avg_daily_sales, null) as Nullable(Float64))
            as days_of_supply,
        cast(
            valuation.on_hand_qty > 0
            and (trailing_sold_qty <= 0 or days_of_supply > {{ var('slow_mover_days_of_supply') }})
            as Bool
        ) as is_slow_mover,
        cast('{{ var("base_currency") }}' as String) as currency
    from bucketed
    inner join valuation
        on bucketed.snapshot_date = valuation.valuation_date
        and bucketed.warehouse_id = valuation.warehouse_id
        and bucketed.sku = valuation.sku
    left join trailing_sales
        on bucketed.snapshot_date = trailing_sales.snapshot_date
        and bucketed.warehouse_id = trailing_sales.warehouse_id
        and bucketed.sku = trailing_sales.sku
    left join sku_master
        on bucketed.sku = sku_master.sku
)

select * from final
