{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='settlement_date',
    order_by=['settlement_date', 'channel', 'order_no'],
) }}

-- one row per channel order and settlement kind (the sale, and the refund if any): what the contract
-- says the channel owes (int_settlement__expected_items) against what its settlements paid
-- (int_settlement__settled_items), with a status. Money is compared in integer cents, so "matched"
-- means equal to the cent. Money whose settlement date is after the latest settlement loaded for the
-- channel is not yet due, never missing. The business date is the settlement the money appeared in,
-- or, when it did not appear, the settlement it was due in.
with

expected as (
    select * from {{ ref('int_settlement__expected_items') }}
),

settled as (
    select * from {{ ref('int_settlement__settled_items') }}
),

-- over every settlement file ever delivered (a channel quiet for months is still settled through its
-- last one), but reading only what that needs: the latest delivery of each file and its dates
settled_through as (
    select cast(channel as String) as channel, max(settlement_date) as settled_through
    from ({{ latest_version(source('settlements', 'settlements'), 'source_file', whole_file=true) }})
    where transaction_type not in ('summary', 'payout', 'payout_report')
    group by channel
),

-- the sale, and the refund where there is one, from one pass over the expected items (a union of
-- two selects would evaluate the whole view twice)
expected_items as (
    select
        channel, order_no, currency, settlement_kind,
        if(settlement_kind = 'sale', sale_settlement_date, refund_settlement_date) as expected_settlement_date,
        delivered_date, due_date, refund_date, lines, qty,
        if(settlement_kind = 'sale', principal_cents, 0) as expected_principal_cents,
        if(settlement_kind = 'sale', -commission_cents, 0) as expected_commission_cents,
        if(settlement_kind = 'sale', -fulfilment_fee_cents, 0) as expected_fulfilment_fee_cents,
        if(settlement_kind = 'sale', cast(null as Nullable(Int64)), -refund_cents) as expected_refund_cents
    from expected
    array join if(refund_settlement_date is null, ['sale'], ['sale', 'refund']) as settlement_kind
),

both_sides as (
    select
        channel, order_no, currency, settlement_kind,
        1 as is_expected, 0 as is_settled,
        cast(expected_settlement_date as Nullable(Date)) as expected_settlement_date,
        cast(null as Nullable(Date)) as settled_date,
        cast(delivered_date as Nullable(Date)) as delivered_date,
        cast(due_date as Nullable(Date)) as due_date,
        cast(refund_date as Nullable(Date)) as refund_date,
        toUInt32(lines) as lines, toInt64(qty) as qty,
        toInt64(expected_principal_cents) as expected_principal_cents,
        toInt64(expected_commission_cents) as expected_commission_cents,
        toInt64(expected_fulfilment_fee_cents) as expected_fulfilment_fee_cents,
        cast(expected_refund_cents as Nullable(Int64)) as expected_refund_cents,
        toInt64(0) as settled_principal_cents, toInt64(0) as settled_commission_cents,
        toInt64(0) as settled_fulfilment_fee_cents, toInt64(0) as settled_other_fee_cents,
        toInt64(0) as settled_refund_cents,
        cast(null as Nullable(String)) as source_file, cast(null as Nullable(UInt32)) as source_row
    from expected_items

    union all

    select
        channel, order_no, currency, settlement_kind,
        0 as is_expected, 1 as is_settled,
        cast(null as Nullable(Date)) as expected_settlement_date,
        cast(settled.settled_date as Nullable(Date)) as settled_date,
        cast(null as Nullable(Date)) as delivered_date,
        cast(null as Nullable(Date)) as due_date,
        cast(null as Nullable(Date)) as refund_date,
        toUInt32(0) as lines, toInt64(0) as qty,
        toInt64(0), toInt64(0), toInt64(0), cast(null as Nullable(Int64)),
        toInt64(principal_cents), toInt64(commission_cents), toInt64(fulfilment_fee_cents),
        toInt64(other_fee_cents), toInt64(refund_cents),
        cast(source_file as Nullable(String)), cast(source_row as Nullable(UInt32))
    from settled
),

matched as (
    select
        channel, order_no, currency, settlement_kind,
        max(is_expected) = 1 as is_expected,
        max(is_settled) = 1 as is_settled,
        any(expected_settlement_date) as expected_settlement_date,
        any(settled_date) as settled_date,
        any(delivered_date) as delivered_date,
        any(due_date) as due_date,
        any(refund_date) as refund_date,
        max(lines) as lines,
        max(qty) as qty,
        sum(expected_principal_cents) as expected_principal_cents,
        sum(expected_commission_cents) as expected_commission_cents,
        sum(expected_fulfilment_fee_cents) as expected_fulfilment_fee_cents,
        sum(expected_refund_cents) as expected_refund_cents,
        sum(settled_principal_cents) as settled_principal_cents,
        sum(settled_commission_cents) as settled_commission_cents,
        sum(settled_fulfilment_fee_cents) as settled_fulfilment_fee_cents,
        sum(settled_other_fee_cents) as settled_other_fee_cents,
        sum(settled_refund_cents) as settled_refund_cents,
        any(source_file) as source_file,
        any(source_row) as source_row
    from both_sides
    group by channel, order_no, currency, settlement_kind
),

classified as (
    select
        matched.*,
        coalesce(settled_date, expected_settlement_date) as settlement_date,
        settled_through.settled_through as settled_through,
        settled_principal_cents - expected_principal_cents as principal_variance_cents,
        settled_commission_cents - expected_commission_cents as commission_variance_cents,
        settled_fulfilment_fee_cents - expected_fulfilment_fee_cents as fulfilment_fee_variance_cents,
        settled_refund_cents - expected_refund_cents as refund_variance_cents,
        multiIf(
            not is_expected, 'unexpected_settlement',
            not is_settled and (settled_through.channel = '' or expected_settlement_date > settled_through.settled_through),
                'not_yet_due',
            not is_settled and settlement_kind = 'refund', 'refund_not_deducted',
            not is_settled, 'missing_settlement',
            settlement_kind = 'refund' and refund_variance_cents != 0, 'refund_mismatch',
            settlement_kind = 'refund', 'matched',
            principal_variance_cents < 0, 'short_paid',
            principal_variance_cents > 0, 'over_paid',
            commission_variance_cents != 0 or fulfilment_fee_variance_cents != 0, 'fee_mismatch',
            'matched'
        ) as status
    from matched
    left join settled_through
        on matched.channel = settled_through.channel
),

-- the settlement day's rate (fx macros), joined straight onto the rows: a distinct list of days joined
-- back would evaluate everything above twice
converted as (
    select
        classified.*,
        {{ fx_rate_to_base('fx', 'classified.currency') }} as fx_rate_to_base
    from classified
    {{ fx_rate_joins('fx', 'classified.currency', 'classified.settlement_date') }}
),

final as (
    select
        cast(channel as String) as channel,
        cast(order_no as String) as order_no,
        cast(currency as String) as currency,
        cast(settlement_kind as String) as settlement_kind,
        cast(settlement_date as Date) as settlement_date,
        cast(status as String) as status,
        cast(status not in ('matched', 'not_yet_due') as Bool) as is_exception,
        expected_settlement_date,
        settled_date,
        delivered_date,
        due_date,
        refund_date,
        cast(settled_through as Nullable(Date)) as settled_through,
        toUInt32(lines) as order_lines,
        toInt64(qty) as order_qty,
        toDecimal64(expected_principal_cents, 2) / 100 as expected_principal,
        toDecimal64(settled_principal_cents, 2) / 100 as settled_principal,
        toDecimal64(principal_variance_cents, 2) / 100 as principal_variance,
        toDecimal64(expected_commission_cents, 2) / 100 as expected_commission,
        toDecimal64(settled_commission_cents, 2) / 100 as settled_commission,
        toDecimal64(commission_variance_cents, 2) / 100 as commission_variance,
        toDecimal64(expected_fulfilment_fee_cents, 2) / 100 as expected_fulfilment_fee,
        toDecimal64(settled_fulfilment_fee_cents, 2) / 100 as settled_fulfilment_fee,
        toDecimal64(fulfilment_fee_variance_cents, 2) / 100 as fulfilment_fee_variance,
        toDecimal64(settled_other_fee_cents, 2) / 100 as settled_other_fees,
        toDecimal64(settled_refund_cents, 2) / 100 as settled_refund,
        cast(if(expected_refund_cents is null, null, toDecimal64(assumeNotNull(expected_refund_cents), 2) / 100)
             as Nullable(Decimal(18, 2))) as expected_refund,
        cast(if(refund_variance_cents is null, null, toDecimal64(assumeNotNull(refund_variance_cents), 2) / 100)
             as Nullable(Decimal(18, 2))) as refund_variance,
        toDecimal64(
            settled_principal_cents + settled_commission_cents + settled_fulfilment_fee_cents
                + settled_other_fee_cents + settled_refund_cents, 2
        ) / 100 as settled_net,
        cast(
            multiIf(
                status in ('missing_settlement', 'short_paid', 'over_paid'), toDecimal64(principal_variance_cents, 2) / 100,
                status = 'fee_mismatch',
                    toDecimal64(commission_variance_cents + fulfilment_fee_variance_cents, 2) / 100,
                status = 'unexpected_settlement',
                    toDecimal64(
                        settled_principal_cents + settled_commission_cents + settled_fulfilment_fee_cents
                            + settled_other_fee_cents + settled_refund_cents, 2
                    ) / 100,
                status in ('refund_not_deducted', 'refund_mismatch'), refund_variance,
                toDecimal64(0, 2)
            ) as Nullable(Decimal(18, 2))
        ) as variance,
        toFloat64(fx_rate_to_base) as fx_rate_to_base,
        toDecimal64(toFloat64(settled_net) * fx_rate_to_base, 4) as settled_net_base,
        cast(
            if(variance is null, null, toDecimal64(toFloat64(variance) * fx_rate_to_base, 4))
            as Nullable(Decimal(18, 4))
        ) as variance_base,
        source_file,
        source_row
    from converted
    where {{ business_window('settlement_date') }}
)

select * from final
