{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='snapshot_date',
    order_by=['snapshot_date', 'warehouse_id', 'sku', 'lot_id'],
) }}

-- one row per day close x warehouse x sku x lot: book against usable physical (on hand - damaged),
-- judged against the sku's abc tolerance. a line is accurate when |variance| <= tolerance x |book|;
-- a line the book does not know (book 0) is accurate only when nothing is there either.
with

positions as (
    select * from {{ ref('int_inventory__positions') }}
    where snapshot_date >= {{ window_start() }} - {{ var('variance_streak_lookback_days') }}
        and snapshot_date < {{ window_end() }}
),

sku_master as (
    select * from {{ ref('stg_erp__sku_master') }}
),

lot_costs as (
    select * from {{ ref('int_inventory__lot_costs') }}
),

judged as (
    select
        positions.snapshot_date as snapshot_date,
        positions.warehouse_id as warehouse_id,
        positions.sku as sku,
        positions.lot_id as lot_id,
        coalesce(nullIf(sku_master.abc_class, ''), positions.book_abc_class, '') as abc_class,
        positions.book_qty as book_qty,
        positions.physical_qty as physical_qty,
        positions.on_hand_qty as on_hand_qty,
        positions.damaged_qty as damaged_qty,
        positions.physical_qty - positions.book_qty as variance_qty,
        abs(positions.physical_qty - positions.book_qty) as abs_variance_qty,
        {{ abc_tolerance('abc_class') }} as tolerance_pct,
        tolerance_pct * abs(positions.book_qty) as tolerance_qty,
        abs_variance_qty <= tolerance_qty as is_accurate,
        coalesce(positions.book_unit_cost, nullIf(lot_costs.landed_unit_cost_base, 0)) as unit_cost,
        positions.in_book as in_book,
        positions.in_physical
    from positions
    left join sku_master
        on positions.sku = sku_master.sku
    left join lot_costs
        on positions.lot_id = lot_costs.lot_id
),

-- gaps and islands over the inaccurate days of each line: consecutive days share
-- (date - their rank), and the rank inside an island is how long the variance has been open.
open_variances as (
    select
        snapshot_date,
        warehouse_id,
        sku,
        lot_id,
        snapshot_date - toIntervalDay(
            row_number() over (partition by warehouse_id, sku, lot_id order by snapshot_date)
        ) as island
    from judged
    where not is_accurate
),

streaks as (
    select
        snapshot_date,
        warehouse_id,
        sku,
        lot_id,
        row_number() over (partition by warehouse_id, sku, lot_id, island order by snapshot_date) as days_open
    from open_variances
),

final as (
    select
        judged.snapshot_date as snapshot_date,
        cast(judged.warehouse_id as String) as warehouse_id,
        judged.sku as sku,
        judged.lot_id as lot_id,
        cast(judged.abc_class as String) as abc_class,
        toInt64(judged.book_qty) as book_qty,
        toInt64(judged.physical_qty) as physical_qty,
        toInt64(judged.on_hand_qty) as on_hand_qty,
        toInt64(judged.damaged_qty) as damaged_qty,
        toInt64(judged.variance_qty) as variance_qty,
        toInt64(judged.abs_variance_qty) as abs_variance_qty,
        toDecimal64(judged.tolerance_pct, 4) as tolerance_pct,
        toDecimal64(judged.tolerance_qty, 4) as tolerance_qty,
        cast(judged.is_accurate as Bool) as is_accurate,
        cast(judged.variance_qty != 0 as Bool) as has_variance,
        toUInt32(if(judged.is_accurate, 0, streaks.days_open)) as days_open,
        toDecimal64(coalesce(judged.unit_cost, 0), 4) as unit_cost,
        toDecimal64(judged.book_qty * coalesce(judged.unit_cost, 0), 4) as book_value,
        toDecimal64(judged.variance_qty * coalesce(judged.unit_cost, 0), 4) as variance_value,
        toDecimal64(judged.abs_variance_qty * coalesce(judged.unit_cost, 0), 4) as abs_variance_value,
        cast('{{ var("base_currency") }}' as String) as currency,
        cast(judged.in_book as Bool) as in_book,
        cast(judged.in_physical as Bool) as in_physical
    from judged
    left join streaks
        on judged.snapshot_date = streaks.snapshot_date
        and judged.warehouse_id = streaks.warehouse_id
        and judged.sku = streaks.sku
        and judged.lot_id = streaks.lot_id
    where {{ business_window('judged.snapshot_date') }}
)

select * from final
