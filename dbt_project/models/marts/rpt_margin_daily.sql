{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='order_date',
    order_by=['order_date', 'channel'],
) }}

-- contribution margin per order date and channel, in the base currency: the order lines of
-- fct_order_margin added up (same window and restatement as that mart, so the two always agree).
-- refunds and returns count on the day of the order they reverse, as in the mart.
{%- set restate = var('margin_restatement_days') %}
with

margin as (
    select * from {{ ref('fct_order_margin') }}
    where order_date >= {{ window_start() }} - toIntervalDay({{ restate }})
        and order_date < {{ window_end() }}
),

daily as (
    select
        order_date,
        channel,
        uniqExact(order_id) as order_count,
        count() as line_count,
        sum(quantity) as total_quantity,
        sum(revenue_base) as total_revenue,
        sum(refund_base) as total_refunds,
        sum(net_revenue_base) as total_net_revenue,
        sum(returned_quantity) as total_returned_quantity,
        sum(cogs_base) as total_cogs,
        sum(cogs_reversal_base) as total_cogs_reversal,
        sum(landed_cost_base) as total_landed_cost,
        sum(outbound_freight_base) as total_freight,
        sum(channel_fees_base) as total_fees,
        sum(contribution_margin_base) as total_margin,
        any(base_currency) as currency
    from margin
    group by order_date, channel
),

final as (
    select
        order_date,
        cast(channel as String) as channel,
        toUInt64(order_count) as orders,
        toUInt64(line_count) as lines,
        toInt64(total_quantity) as quantity,
        toDecimal64(total_revenue, 4) as revenue_base,
        toDecimal64(total_refunds, 4) as refund_base,
        toDecimal64(total_net_revenue, 4) as net_revenue_base,
        toInt64(total_returned_quantity) as returned_quantity,
        toDecimal64(total_cogs, 4) as cogs_base,
        toDecimal64(total_landed_cost, 4) as landed_cost_base,
        toDecimal64(total_cogs_reversal, 4) as cogs_reversal_base,
        toDecimal64(total_freight, 4) as freight_base,
        toDecimal64(total_fees, 4) as channel_fees_base,
        toDecimal64(total_margin, 4) as contribution_margin_base,
        if(total_net_revenue = 0, null, toNullable(toFloat64(total_margin) / toFloat64(total_net_revenue)))
            as margin_pct,
        cast(currency as String) as base_currency
    from daily
)

select * from final
