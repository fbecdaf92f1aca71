{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='snapshot_date',
    order_by=['snapshot_date', 'warehouse_id'],
) }}

-- one row per day close x warehouse: record accuracy counts lines (a +5 and a -5 are two wrong lines,
-- never a net zero), value accuracy weighs the absolute variance value against the book value.
with

accuracy as (
    select * from {{ ref('fct_inventory_accuracy') }}
    where {{ business_window('snapshot_date') }}
),

summary as (
    select
        snapshot_date,
        warehouse_id,
        count() as lines,
        countIf(is_accurate) as accurate_lines,
        countIf(has_variance) as lines_with_variance,
        sum(variance_qty) as net_variance_qty,
        sum(abs_variance_qty) as abs_variance_qty,
        sum(book_value) as book_value,
        sum(variance_value) as net_variance_value,
        sum(abs_variance_value) as abs_variance_value,
        maxIf(days_open, not is_accurate) as max_days_open,
        countIf(days_open > 1) as variances_open_over_one_day,
        avgIf(days_open, not is_accurate) as avg_days_open
    from accuracy
    group by snapshot_date, warehouse_id
),

final as (
    select
        snapshot_date,
        cast(warehouse_id as String) as warehouse_id,
        toUInt64(lines) as lines,
        toUInt64(accurate_lines) as accurate_lines,
        toUInt64(lines - accurate_lines) as inaccurate_lines,
        toUInt64(lines_with_variance) as lines_with_variance,
        toFloat64(if(lines = 0, 1, accurate_lines / lines)) as record_accuracy,
        cast(record_accuracy >= {{ var('accuracy_target') }} as Bool) as meets_accuracy_target,
        toInt64(net_variance_qty) as net_variance_qty,
        toInt64(abs_variance_qty) as abs_variance_qty,
        toDecimal64(book_value, 4) as book_value,
        toDecimal64(net_variance_value, 4) as net_variance_value,
        toDecimal64(abs_variance_value, 4) as abs_variance_value,
        toFloat64(if(book_value = 0, 1, 1 - toFloat64(abs_variance_value) / toFloat64(book_value)))
            as value_accuracy,
        toUInt32(max_days_open) as max_days_open,
        toUInt64(variances_open_over_one_day) as variances_open_over_one_day,
        toFloat64(if(isNaN(avg_days_open), 0, avg_days_open)) as avg_days_open,
        cast('{{ var("base_currency") }}' as String) as currency
    from summary
)

select * from final
