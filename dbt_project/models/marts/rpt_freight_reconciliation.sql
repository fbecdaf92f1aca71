{{ config(
    materialized='table',
    order_by=['carrier', 'billing_period_start', 'currency'],
) }}

-- the logistics payables summary finance works from: per carrier and billing period, what was billed,
-- what the contract says, the variance (billed = expected + variance, by construction of every line),
-- what can be disputed, how many lines each flag caught, and the unbilled parcels still to accrue.
with

audit as (
    select * from {{ ref('fct_freight_audit') }}
),

unbilled as (
    select * from {{ ref('fct_unbilled_shipments') }}
),

billed as (
    select
        carrier,
        billing_period_start,
        any(billing_period_end) as billing_period_end,
        currency,
        uniqExact(bill_no) as bills,
        uniqExact(source_file) as bill_files,
        count() as lines,
        sum(billed_charge) as billed_amount,
        sum(expected_charge) as expected_amount,
        sum(variance) as variance,
        sumIf(dispute_amount, dispute_amount > 0) as disputable_amount,
        sumIf(dispute_amount, dispute_amount < 0) as undercharged_amount,
        countIf(is_flagged) as flagged_lines,
        countIf(is_duplicate_line) as duplicate_lines,
        countIf(is_duplicate_file) as duplicate_file_lines,
        countIf(is_billed_not_shipped) as billed_not_shipped_lines,
        countIf(is_weight_discrepancy) as weight_discrepancy_lines,
        countIf(is_zone_mismatch) as zone_mismatch_lines,
        countIf(is_rate_mismatch) as rate_mismatch_lines,
        countIf(is_surcharge_not_in_contract) as surcharge_not_in_contract_lines,
        countIf(is_currency_mismatch) as currency_mismatch_lines,
        sum(billed_charge_base) as billed_amount_base,
        sum(expected_charge_base) as expected_amount_base,
        sumIf(dispute_amount_base, dispute_amount_base > 0) as disputable_amount_base
    from audit
    group by carrier, billing_period_start, currency
),

accrued as (
    select
        carrier,
        billing_period_start,
        any(billing_period_end) as billing_period_end,
        assumeNotNull(currency) as currency,
        count() as unbilled_shipments,
        sum(accrual_amount) as unbilled_accrual,
        sum(accrual_amount_base) as unbilled_accrual_base
    from unbilled
    where currency is not null
    group by carrier, billing_period_start, currency
),

final as (
    select
        cast(if(billed.carrier != '', billed.carrier, accrued.carrier) as String) as carrier,
        if(billed.carrier != '', billed.billing_period_start, accrued.billing_period_start)
            as billing_period_start,
        if(billed.carrier != '', billed.billing_period_end, accrued.billing_period_end) as billing_period_end,
        cast(if(billed.carrier != '', billed.currency, accrued.currency) as String) as currency,
        toUInt64(billed.bills) as bills,
        toUInt64(billed.bill_files) as bill_files,
        toUInt64(billed.lines) as lines,
        toDecimal64(billed.billed_amount, 2) as billed_amount,
        toDecimal64(billed.expected_amount, 2) as expected_amount,
        toDecimal64(billed.variance, 2) as variance,
        toDecimal64(billed.disputable_amount, 2) as disputable_amount,
        toDecimal64(billed.undercharged_amount, 2) as undercharged_amount,
        toUInt64(billed.flagged_lines) as flagged_lines,
        toUInt64(billed.duplicate_lines) as duplicate_lines,
        toUInt64(billed.duplicate_file_lines) as duplicate_file_lines,
        toUInt64(billed.billed_not_shipped_lines) as billed_not_shipped_lines,
        toUInt64(billed.weight_discrepancy_lines) as weight_discrepancy_lines,
        toUInt64(billed.zone_mismatch_lines) as zone_mismatch_lines,
        toUInt64(billed.rate_mismatch_lines) as rate_mismatch_lines,
        toUInt64(billed.surcharge_not_in_contract_lines) as surcharge_not_in_contract_lines,
        toUInt64(billed.currency_mismatch_lines) as currency_mismatch_lines,
        toUInt64(accrued.unbilled_shipments) as unbilled_shipments,
        toDecimal64(ifNull(accrued.unbilled_accrual, 0), 2) as unbilled_accrual,
        cast('{{ var("base_currency") }}' as String) as base_currency,
        toDecimal64(billed.billed_amount_base, 4) as billed_amount_base,
        toDecimal64(billed.expected_amount_base, 4) as expected_amount_base,
        toDecimal64(billed.billed_amount_base - billed.expected_amount_base, 4) as variance_base,
        toDecimal64(billed.disputable_amount_base, 4) as disputable_amount_base,
        toDecimal64(ifNull(accrued.unbilled_accrual_base, 0), 4) as unbilled_accrual_base
    from billed
    full outer join accrued
        on billed.carrier = accrued.carrier
        and billed.billing_period_start = accrued.billing_period_start
        and billed.currency = accrued.currency
)

select * from final
