{{ config(
    materialized='table',
    order_by=['carrier', 'ship_date', 'waybill_no'],
) }}

-- shipped, never billed, once billing has closed: either the carrier's bill for the parcel's period
-- has arrived without it, or the period ended more than freight_billing_close_lag_days before the
-- latest day the data knows and no bill came at all. A parcel of a still-open period is not yet
-- unbilled. Each is accrued at its contract charge (what the carrier will, or should, bill).
with

expected_charges as (
    select * from {{ ref('int_freight__expected_charges') }}
),

bill_lines as (
    select * from {{ ref('int_freight__bill_lines') }}
),

billed_waybills as (
    select distinct carrier, waybill_no
    from bill_lines
),

billed_periods as (
    select carrier, billing_period_start, min(bill_date) as first_bill_date
    from bill_lines
    group by carrier, billing_period_start
),

as_of as (
    select greatest(
        (select max(ship_date) from expected_charges),
        (select coalesce(max(bill_date), toDate(0)) from bill_lines)
    ) + 1 as as_of_date
),

unbilled as (
    select
        expected_charges.carrier as carrier,
        expected_charges.waybill_no as waybill_no,
        expected_charges.order_no as order_no,
        expected_charges.warehouse_id as warehouse_id,
        expected_charges.ship_date as ship_date,
        expected_charges.billing_period_start as billing_period_start,
        expected_charges.billing_period_end as billing_period_end,
        expected_charges.service as service,
        expected_charges.zone as zone,
        expected_charges.card_version as card_version,
        expected_charges.currency as currency,
        expected_charges.total_cents as total_cents,
        billed_waybills.waybill_no as billed_waybill,
        billed_periods.first_bill_date as period_bill_date,
        (select as_of_date from as_of) as as_of_date
    from expected_charges
    left join billed_waybills
        on expected_charges.carrier = billed_waybills.carrier
        and expected_charges.waybill_no = billed_waybills.waybill_no
    left join billed_periods
        on expected_charges.carrier = billed_periods.carrier
        and expected_charges.billing_period_start = billed_periods.billing_period_start
    settings join_use_nulls = 1
),

rated as (
    select
        unbilled.*,
        {{ fx_rate_to_base('fx', 'unbilled.fx_currency') }} as fx_rate_to_base
    from (select *, ifNull(currency, '') as fx_currency from unbilled) as unbilled
    {{ fx_rate_joins('fx', 'unbilled.fx_currency', 'unbilled.ship_date') }}
),

final as (
    select
        cast(carrier as String) as carrier,
        cast(waybill_no as String) as waybill_no,
        cast(order_no as Nullable(String)) as order_no,
        cast(warehouse_id as String) as warehouse_id,
        ship_date,
        billing_period_start,
        billing_period_end,
        cast(if(period_bill_date is not null, 'bill_received', 'close_lag_passed') as String) as closed_by,
        period_bill_date,
        assumeNotNull(as_of_date) as as_of_date,
        cast(service as Nullable(String)) as service,
        cast(zone as Nullable(String)) as zone,
        cast(card_version as Nullable(String)) as card_version,
        cast(currency as Nullable(String)) as currency,
        toNullable(toDecimal64(total_cents, 2) / 100) as accrual_amount,
        if(
            currency is null or total_cents is null,
            null,
            toNullable(toDecimal64(round(toDecimal128(toFloat64(total_cents) / 100 * fx_rate_to_base, 8), 4), 4))
        ) as accrual_amount_base
    from rated
    where billed_waybill is null
        and (
            period_bill_date is not null
            or billing_period_end + {{ var('freight_billing_close_lag_days') }} < as_of_date
        )
)

select * from final
