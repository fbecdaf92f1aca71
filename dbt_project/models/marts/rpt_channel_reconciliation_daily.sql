{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='settlement_date',
    order_by=['settlement_date', 'channel', 'currency'],
) }}

-- the morning channel report: per channel, settlement day and currency, how many orders (sales and
-- refunds) each status holds and the money at issue, from fct_settlement_reconciliation.
-- `statuses` must list every status the fact can emit (its accepted_values; tests/marts/
-- test_settlement_statuses.py fails when one is missing), so the counts always add up to the rows.
{%- set statuses = ['matched', 'short_paid', 'over_paid', 'missing_settlement', 'unexpected_settlement',
                    'fee_mismatch', 'refund_not_deducted', 'refund_mismatch', 'not_yet_due'] %}
{%- set amount_statuses = ['short_paid', 'over_paid', 'missing_settlement', 'unexpected_settlement',
                           'fee_mismatch', 'refund_not_deducted', 'refund_mismatch'] %}
with

reconciliation as (
    select * from {{ ref('fct_settlement_reconciliation') }}
    where {{ business_window('settlement_date') }}
),

summary as (
    select
        settlement_date,
        channel,
        currency,
        countIf(settlement_kind = 'sale') as sales,
        countIf(settlement_kind = 'refund') as refunds,
        {%- for status in statuses %}
        countIf(status = '{{ status }}') as {{ status }}_count,
        {%- endfor %}
        countIf(is_exception) as exception_count,
        sum(order_qty * (settlement_kind = 'sale')) as order_qty,
        sum(expected_principal) as expected_principal,
        sum(settled_principal) as settled_principal,
        sum(expected_commission + expected_fulfilment_fee) as expected_fees,
        sum(settled_commission + settled_fulfilment_fee + settled_other_fees) as settled_fees,
        sum(settled_refund) as settled_refunds,
        sum(settled_net) as settled_net,
        {%- for status in amount_statuses %}
        sumIf(variance, status = '{{ status }}' and variance is not null) as {{ status }}_amount,
        {%- endfor %}
        countIf(is_exception and variance is null) as unknown_amount_count,
        sumIf(variance, is_exception and variance is not null) as exception_amount,
        sum(settled_net_base) as settled_net_base,
        sumIf(variance_base, is_exception and variance_base is not null) as exception_amount_base
    from reconciliation
    group by settlement_date, channel, currency
),

final as (
    select
        settlement_date,
        cast(channel as String) as channel,
        cast(currency as String) as currency,
        toUInt64(sales) as sales,
        toUInt64(refunds) as refunds,
        {%- for status in statuses %}
        toUInt64({{ status }}_count) as {{ status }}_count,
        {%- endfor %}
        toUInt64(exception_count) as exception_count,
        toInt64(order_qty) as order_qty,
        toDecimal64(expected_principal, 2) as expected_principal,
        toDecimal64(settled_principal, 2) as settled_principal,
        toDecimal64(expected_fees, 2) as expected_fees,
        toDecimal64(settled_fees, 2) as settled_fees,
        toDecimal64(settled_refunds, 2) as settled_refunds,
        toDecimal64(settled_net, 2) as settled_net,
        {%- for status in amount_statuses %}
        toDecimal64(coalesce({{ status }}_amount, 0), 2) as {{ status }}_amount,
        {%- endfor %}
        toUInt64(unknown_amount_count) as unknown_amount_count,
        toDecimal64(coalesce(exception_amount, 0), 2) as exception_amount,
        toDecimal64(settled_net_base, 4) as settled_net_base,
        toDecimal64(coalesce(exception_amount_base, 0), 4) as exception_amount_base
    from summary
)

select * from final
