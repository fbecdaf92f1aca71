{{ config(
    materialized='table',
    tags=['windowed'],
    query_settings={'additional_table_filters': raw_read_since(
        ['order_lines', 'shipments'], var('order_lookback_days'))},
) }}

-- what each settled channel owes per delivered order under its contract: the sale (principal =
-- order amount, commission per item or per order rounded half up, per-unit fulfilment fee by price
-- band) due at delivery + lag in the settlement of that day's calendar, and, for refunded orders,
-- the refund deducted in the first settlement after the refund but never before the sale is paid.
-- a table, not a view: the settlement reconciliation and the channel fees of the order margin both
-- read it, and as a view each would re-derive every order's latest export and delivery.
-- a run covers the orders exported (and parcels delivered) since order_lookback_days before its
-- window: an order's money moves within that long of its latest export, so a nightly run reads weeks
-- of exports, not the whole history, and a full build (window from 2000) covers every order.
{%- set terms = var('settlement_terms') %}
{%- set timezones = var('warehouse_timezones') %}
with

lines as (
    select * from {{ ref('stg_channels__order_lines') }}
    where channel in ({% for channel in terms %}'{{ channel }}'{{ ", " if not loop.last }}{% endfor %})
),

orders as (
    select * from {{ ref('stg_channels__orders') }}
),

shipments as (
    select * from {{ source('tms', 'shipments') }}
    where delivered_ts is not null and order_no is not null
),

deliveries as (
    select
        cast(channel as String) as channel,
        order_no,
        min(multiIf(
            {%- for warehouse, tz in timezones.items() %}
            warehouse_id = '{{ warehouse }}', toDate(delivered_ts, '{{ tz }}'),
            {%- endfor %}
            toDate(delivered_ts, 'UTC')
        )) as delivered_date
    from shipments
    group by channel, order_no
),

line_money as (
    select
        lines.channel as channel,
        lines.order_no as order_no,
        lines.currency as currency,
        lines.qty as qty,
        toInt64(round(lines.line_amount * 100)) as amount_cents,
        {{ commission_cents('toInt64(round(lines.line_amount * 100))',
                            settlement_term('lines.channel', 'commission_bp', 0)) }} as item_commission_cents,
        {{ fulfilment_fee_cents('lines.channel', 'lines.unit_price') }} * lines.qty as fulfilment_fee_cents,
        deliveries.delivered_date as delivered_date
    from lines
    inner join deliveries
        on lines.channel = deliveries.channel and lines.order_no = deliveries.order_no
),

sales as (
    select
        channel,
        order_no,
        any(currency) as currency,
        any(delivered_date) as delivered_date,
        toUInt32(count()) as lines,
        toInt64(sum(qty)) as qty,
        sum(amount_cents) as principal_cents,
        sum(item_commission_cents) as item_commission_cents,
        sum(fulfilment_fee_cents) as fulfilment_fee_cents
    from line_money
    group by channel, order_no
),

sales_due as (
    select
        channel,
        order_no,
        currency,
        delivered_date,
        lines,
        qty,
        principal_cents,
        multiIf(
            {%- for channel, t in terms.items() %}
            channel = '{{ channel }}',
                {% if t['commission_per'] == 'item' %}item_commission_cents{% else %}{{ commission_cents('principal_cents', t['commission_bp']) }}{% endif %},
            {%- endfor %}
            toInt64(0)
        ) as commission_cents,
        fulfilment_fee_cents,
        delivered_date + toIntervalDay({{ settlement_term('channel', 'lag_days', 0) }}) as due_date
    from sales
),

final as (
    select
        sales_due.channel as channel,
        sales_due.order_no as order_no,
        sales_due.currency as currency,
        sales_due.delivered_date as delivered_date,
        sales_due.lines as lines,
        sales_due.qty as qty,
        sales_due.principal_cents as principal_cents,
        sales_due.commission_cents as commission_cents,
        sales_due.fulfilment_fee_cents as fulfilment_fee_cents,
        sales_due.due_date as due_date,
        {{ settlement_date_for('sales_due.channel', 'sales_due.due_date') }} as sale_settlement_date,
        if(orders.order_no = '', null, orders.refund_date) as refund_date,
        -- null when the channel's order export carries no refund amount (Amazon): the refund is then
        -- known by its date only
        if(refund_date is null or orders.refund_amount is null, null,
           toInt64(round(orders.refund_amount * 100))) as refund_cents,
        if(
            refund_date is null,
            null,
            {{ settlement_date_for('sales_due.channel', 'greatest(refund_date + toIntervalDay(1), sales_due.due_date)') }}
        ) as refund_settlement_date
    from sales_due
    left join orders
        on sales_due.channel = orders.channel and sales_due.order_no = orders.order_no
)

select * from final
