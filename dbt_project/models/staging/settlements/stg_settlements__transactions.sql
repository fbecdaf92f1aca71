-- one row per settled amount of an order (or an order-less adjustment), as the latest delivery of each
-- settlement file reports it, classified into the components a reconciliation compares: principal
-- (sale price and promotions), commission, fulfilment fee, refund. Summary, payout and report-total
-- rows restate these amounts and are left out, so sums are never counted twice. A settlement names an
-- order by the channel's order number, by a prefixed one (Tmall via Alipay), or by the channel's
-- internal order id (Shopify Payments: the Admin API id), which the order export carries beside the
-- number (channel_order_id), so it is resolved through the exports, never by a formula.
{%- set prefixes = var('settlement_order_prefix') %}
with

source as (
    {{ latest_version(source('settlements', 'settlements'), 'source_file', whole_file=true) }}
),

classified as (
    select
        cast(channel as String) as channel,
        settlement_id,
        settlement_date,
        order_no as settlement_order_ref,
        cast(transaction_type as String) as transaction_type,
        cast(amount_type as String) as amount_type,
        multiIf(
            transaction_type = 'refund', 'refund',
            transaction_type = 'adjustment' or order_no is null or order_no = '', 'adjustment',
            amount_type in ('principal', 'ItemPrice/Principal', 'Promotion/Principal'), 'principal',
            amount_type in ('commission', 'ItemFees/Commission'), 'commission',
            amount_type like '%Fulfillment%' or amount_type = 'fulfilment_fee', 'fulfilment_fee',
            'other_fee'
        ) as component,
        amount,
        cast(currency as String) as currency,
        posted_ts,
        source_file,
        row_number
    from source
    where transaction_type not in ('summary', 'payout', 'payout_report')
),

-- every order id a channel's exports gave, with its order number (all exports: a settlement pays
-- orders placed long before it)
order_ids as (
    select
        cast(channel as String) as channel,
        channel_order_id,
        any(order_no) as order_no
    from {{ source('channels', 'order_lines') }}
    where channel_order_id != ''
    group by channel, channel_order_id
),

final as (
    select
        classified.channel as channel,
        classified.settlement_id as settlement_id,
        classified.settlement_date as settlement_date,
        classified.settlement_order_ref as settlement_order_ref,
        multiIf(
            classified.settlement_order_ref is null or classified.settlement_order_ref = '', null,
            {%- for channel, prefix in prefixes.items() %}
            classified.channel = '{{ channel }}' and startsWith(classified.settlement_order_ref, '{{ prefix }}'),
                substring(classified.settlement_order_ref, {{ prefix | length + 1 }}),
            {%- endfor %}
            -- a non-key column tells a matched row (ClickHouse fills unmatched String columns with '')
            order_ids.order_no != '', order_ids.order_no,
            classified.settlement_order_ref
        ) as order_no,
        classified.transaction_type as transaction_type,
        classified.amount_type as amount_type,
        classified.component as component,
        classified.amount as amount,
        toInt64(round(classified.amount * 100)) as amount_cents,
        classified.currency as currency,
        classified.posted_ts as posted_ts,
        classified.source_file as source_file,
        classified.row_number as row_number
    from classified
    left join order_ids
        on classified.channel = order_ids.channel
        and classified.settlement_order_ref = order_ids.channel_order_id
)

select * from final
