-- one row per line of the latest export of each channel order (a channel re-exports an order at every
-- status change; the whole latest export replaces the earlier ones, so a dropped line disappears).
with

source as (
    {{ latest_version(source('channels', 'order_lines'), 'channel, order_no', whole_file=true) }}
),

final as (
    select
        cast(channel as String) as channel,
        store,
        order_no,
        nullIf(channel_order_id, '') as channel_order_id,
        line_no,
        sku,
        qty,
        unit_price,
        coalesce(discount, toDecimal64(0, 4)) as discount,
        toDecimal64(qty * unit_price - coalesce(discount, toDecimal64(0, 4)), 4) as line_amount,
        cast(currency as String) as currency,
        order_ts,
        order_date,
        cast(status as String) as status,
        warehouse_id,
        refund_amount,
        order_refund_amount,
        business_date as exported_date,
        source_file,
        row_number
    from source
)

select * from final
