{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='snapshot_date',
    order_by=['snapshot_date', 'warehouse_id', 'sku', 'lot_id'],
    query_settings={'additional_table_filters': raw_read_since(
        ['erp_snapshot', 'wms_snapshot'], var('variance_streak_lookback_days'))},
) }}

-- one row per day close x warehouse x sku x lot: book against usable physical (on hand - damaged),
-- judged against the sku's abc tolerance. a line is accurate when |variance| <= tolerance x |book|;
-- a line the book does not know (book 0) is accurate only when nothing is there either.
with

-- a nightly (incremental) run reads only its window and carries each open variance's streak from the
-- mart's own row of the day before; a full build counts streaks within its window and the
-- variance_streak_lookback_days before it
positions as (
    select * from {{ ref('int_inventory__positions') }}
    {%- if is_incremental() %}
    where {{ business_window('snapshot_date') }}
    {%- else %}
    where snapshot_date >= {{ window_start() }} - {{ var('variance_streak_lookback_days') }}
        and snapshot_date < {{ window_end() }}
    {%- endif %}
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

{%- if is_incremental() %}

previous_day as (
    select warehouse_id, sku, lot_id, days_open
    from {{ this }}
    where snapshot_date = {{ window_start() }} - 1 and not is_accurate
),
{%- endif %}

-- gaps and islands over the inaccurate days of each line: consecutive days share
-- (date - their rank), and the rank inside an island is how long the variance has been open (plus,
-- on an incremental run, the streak the day before the window ended with, for the island that
-- starts on the window's first day). windows only, no join back, so positions are read once.
islands as (
    select
        *,
        if(
            is_accurate,
            null,
            snapshot_date - toIntervalDay(
                row_number() over (partition by warehouse_id, sku, lot_id, is_accurate order by snapshot_date)
            )
        ) as island
    from judged
),

streaks as (
    select
        islands.*,
        if(
            is_accurate,
            0,
            row_number() over (
                partition by warehouse_id, sku, lot_id, is_accurate, island order by snapshot_date
            )
        ) as days_in_window
    from islands
),

final as (
    select
        streaks.snapshot_date as snapshot_date,
        cast(streaks.warehouse_id as String) as warehouse_id,
        streaks.sku as sku,
        streaks.lot_id as lot_id,
        cast(streaks.abc_class as String) as abc_class,
        toInt64(streaks.book_qty) as book_qty,
        toInt64(streaks.physical_qty) as physical_qty,
        toInt64(streaks.on_hand_qty) as on_hand_qty,
        toInt64(streaks.damaged_qty) as damaged_qty,
        toInt64(streaks.variance_qty) as variance_qty,
        toInt64(streaks.abs_variance_qty) as abs_variance_qty,
        toDecimal64(streaks.tolerance_pct, 4) as tolerance_pct,
        toDecimal64(streaks.tolerance_qty, 4) as tolerance_qty,
        cast(streaks.is_accurate as Bool) as is_accurate,
        cast(streaks.variance_qty != 0 as Bool) as has_variance,
        toUInt32(if(
            streaks.is_accurate,
            0,
            streaks.days_in_window
            {%- if is_incremental() %}
                + if(streaks.island = {{ window_start() }} - 1, ifNull(previous_day.days_open, 0), 0)
            {%- endif %}
        )) as days_open,
        toDecimal64(coalesce(streaks.unit_cost, 0), 4) as unit_cost,
        toDecimal64(streaks.book_qty * coalesce(streaks.unit_cost, 0), 4) as book_value,
        toDecimal64(streaks.variance_qty * coalesce(streaks.unit_cost, 0), 4) as variance_value,
        toDecimal64(streaks.abs_variance_qty * coalesce(streaks.unit_cost, 0), 4) as abs_variance_value,
        cast('{{ var("base_currency") }}' as String) as currency,
        cast(streaks.in_book as Bool) as in_book,
        cast(streaks.in_physical as Bool) as in_physical
    from streaks
    {%- if is_incremental() %}
    left join previous_day
        on streaks.warehouse_id = previous_day.warehouse_id
        and streaks.sku = previous_day.sku
        and streaks.lot_id = previous_day.lot_id
    {%- endif %}
    where {{ business_window('streaks.snapshot_date') }}
)

select * from final
