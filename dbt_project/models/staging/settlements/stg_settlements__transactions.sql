-- one row per settled amount of an order (or an order-less adjustment), as the latest delivery of each
-- settlement file reports it, classified into the components a reconciliation compares: principal
-- (sale price and promotions), commission, fulfilment fee, refund. Summary, payout and report-total
-- rows restate these amounts and are left out, so sums are never counted twice.
{%- set prefixes = var('settlement_order_prefix') %}
{%- set shopify_id = var('shopify_order_id') %}
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

final as (
    select
        channel,
        settlement_id,
        settlement_date,
        settlement_order_ref,
        multiIf(
            settlement_order_ref is null or settlement_order_ref = '', null,
            {%- for channel, prefix in prefixes.items() %}
            channel = '{{ channel }}' and startsWith(settlement_order_ref, '{{ prefix }}'),
                substring(settlement_order_ref, {{ prefix | length + 1 }}),
            {%- endfor %}
            channel = 'shopify'
                and (toUInt64OrZero(settlement_order_ref) - {{ shopify_id.offset }}) % {{ shopify_id.step }} = 0,
                concat('#', toString(intDiv(toUInt64OrZero(settlement_order_ref) - {{ shopify_id.offset }},
                    {{ shopify_id.step }}))),
            settlement_order_ref
        ) as order_no,
        transaction_type,
        amount_type,
        component,
        amount,
        toInt64(round(amount * 100)) as amount_cents,
        currency,
        posted_ts,
        source_file,
        row_number
    from classified
)

select * from final
