-- outbound freight per sales order (an order leaves as one parcel; should a carrier split it, the
-- parcels add up): what the carriers billed for it and what the contract says it costs, both in the
-- base currency at the ship date's rate. billed counts original lines only: a re-sent file or a
-- parcel billed twice is owed nothing (fct_freight_audit), so neither inflates the order's cost.
-- disputed amounts are not deducted: billed is what the carrier asks, expected what it should.
with

shipments as (
    select * from {{ ref('stg_tms__shipments') }}
    where order_no is not null and order_no != ''
),

expected_charges as (
    select * from {{ ref('int_freight__expected_charges') }}
),

audit as (
    select * from {{ ref('fct_freight_audit') }}
    where not is_duplicate_file and not is_duplicate_line and not is_billed_not_shipped
),

billed as (
    select
        carrier,
        waybill_no,
        sum(billed_charge_base) as billed_base,
        toUInt8(1) as has_bill
    from audit
    group by carrier, waybill_no
),

expected as (
    select
        expected_charges.carrier as carrier,
        expected_charges.waybill_no as waybill_no,
        expected_charges.is_priced as is_priced,
        toFloat64(ifNull(expected_charges.total_cents, 0)) / 100 * {{ fx_rate_to_base('fx', 'expected_charges.fx_currency') }}
            as expected_base
    from (select *, ifNull(currency, '') as fx_currency from expected_charges) as expected_charges
    {{ fx_rate_joins('fx', 'expected_charges.fx_currency', 'expected_charges.ship_date') }}
),

parcels as (
    select
        cast(shipments.channel as String) as channel,
        shipments.order_no as order_no,
        cast(shipments.warehouse_id as String) as warehouse_id,
        shipments.carrier as carrier,
        shipments.waybill_no as waybill_no,
        shipments.ship_date as ship_date,
        billed.has_bill = 1 as is_billed,
        billed.billed_base as parcel_billed_base,
        expected.is_priced as is_priced,
        expected.expected_base as parcel_expected_base
    from shipments
    left join billed
        on shipments.carrier = billed.carrier and shipments.waybill_no = billed.waybill_no
    left join expected
        on shipments.carrier = expected.carrier and shipments.waybill_no = expected.waybill_no
),

final as (
    select
        channel,
        order_no,
        toUInt32(count()) as parcels,
        argMin(parcels.warehouse_id, (parcels.ship_date, parcels.waybill_no)) as warehouse_id,
        min(parcels.ship_date) as ship_date,
        toUInt32(countIf(is_billed)) as billed_parcels,
        toDecimal64(sumIf(parcel_billed_base, is_billed), 4) as billed_base,
        toDecimal64(round(sum(parcel_expected_base), 4), 4) as expected_base,
        toDecimal64(round(sumIf(parcel_expected_base, not is_billed), 4), 4) as expected_unbilled_base,
        toUInt32(countIf(not is_priced)) as unpriced_parcels
    from parcels
    group by channel, order_no
)

select * from final
