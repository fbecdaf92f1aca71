-- one row per channel order: its amount, units and refunded amount as of the latest export, and the day it was first
-- exported as refunded or returned (order files are written on each status change, so that export's
-- landing date is the refund date).
with

lines as (
    select * from {{ ref('stg_channels__order_lines') }}
),

all_exports as (
    select * from {{ source('channels', 'order_lines') }}
),

refunds as (
    select
        cast(channel as String) as channel,
        order_no,
        min(business_date) as refund_date
    from all_exports
    where status in ('refunded', 'returned')
    group by channel, order_no
),

orders as (
    select
        channel,
        order_no,
        any(store) as store,
        any(channel_order_id) as channel_order_id,
        any(currency) as currency,
        min(order_ts) as order_ts,
        min(order_date) as order_date,
        any(status) as status,
        any(warehouse_id) as warehouse_id,
        toUInt32(count()) as lines,
        toInt64(sum(qty)) as qty,
        toDecimal64(sum(line_amount), 4) as order_amount,
        -- refunded so far: the lines' amounts where the channel reports them per line, else the
        -- order-level amount it repeats on every line (Shopify); null where the export has none (Amazon)
        cast(coalesce(sum(refund_amount), max(order_refund_amount)) as Nullable(Decimal(18, 4))) as refund_amount
    from lines
    group by channel, order_no
),

final as (
    select
        orders.channel as channel,
        orders.order_no as order_no,
        orders.store as store,
        orders.channel_order_id as channel_order_id,
        orders.currency as currency,
        orders.order_ts as order_ts,
        orders.order_date as order_date,
        orders.status as status,
        orders.warehouse_id as warehouse_id,
        orders.lines as lines,
        orders.qty as qty,
        orders.order_amount as order_amount,
        orders.refund_amount as refund_amount,
        if(refunds.order_no = '', null, refunds.refund_date) as refund_date
    from orders
    left join refunds
        on orders.channel = refunds.channel and orders.order_no = refunds.order_no
)

select * from final
