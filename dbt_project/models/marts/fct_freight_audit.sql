{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='bill_date',
    order_by=['bill_date', 'carrier', 'source_file', 'bill_line_id'],
) }}

-- one row per carrier bill line, every line re-rated (a 100% audit, not a sample). A line is first a
-- copy (duplicate file, then duplicate line) or a phantom (billed, never shipped): nothing is owed for
-- it. Otherwise the parcel is re-priced under its contract and the difference explained, most
-- sweeping cause first: a currency mix-up scales the whole line; then a billed weight or zone that is
-- not the parcel's; then charges the contract does not have; what remains is a rate that is not the
-- card's. Money is in the bill's currency; variance = billed - expected on every line; the *_base
-- columns repeat the money in the base currency at the ship date's rate.
with

bill_lines as (
    select * from {{ ref('int_freight__bill_lines') }}
    where {{ business_window('bill_date') }}
),

expected_charges as (
    select * from {{ ref('int_freight__expected_charges') }}
),

joined as (
    select
        bill_lines.*,
        expected_charges.waybill_no != '' as has_shipment,
        expected_charges.ship_date as shipment_ship_date,
        expected_charges.service as shipment_service,
        expected_charges.zone as shipment_zone,
        expected_charges.zone_key as shipment_zone_key,
        expected_charges.card_version as card_version,
        expected_charges.currency as card_currency,
        expected_charges.billable_weight_kg as billable_weight_kg,
        expected_charges.total_cents as contract_total_cents,
        expected_charges.has_remote as has_remote,
        expected_charges.has_oversize as has_oversize,
        expected_charges.has_residential as has_residential
    from bill_lines
    left join expected_charges
        on bill_lines.carrier = expected_charges.carrier and bill_lines.waybill_no = expected_charges.waybill_no
),

classified as (
    select
        *,
        not is_duplicate_file and not is_duplicate_line and not has_shipment as is_billed_not_shipped,
        not is_duplicate_file and not is_duplicate_line and has_shipment as is_rated,
        toDecimal64(contract_total_cents, 2) / 100 as contract_charge,
        -- accessorials this carrier's card does not list are as foreign to the contract as a PEAK fee
        billed_other
            + if(has_remote, 0, billed_remote)
            + if(has_oversize, 0, billed_oversize)
            + if(has_residential, 0, billed_residential) as surcharge_not_in_contract_amount,
        -- the contract charges as a whole (not counting foreign surcharges, which can dwarf a cheap
        -- parcel) scaled far off the card: amounts in another currency than the label says
        toFloat64(billed_total - surcharge_not_in_contract_amount) * 100 as billed_contract_cents,
        is_rated and (
            currency != card_currency
            or (contract_total_cents > 0 and (
                billed_contract_cents >= contract_total_cents * {{ var('freight_currency_error_factor') }}
                or billed_contract_cents * {{ var('freight_currency_error_factor') }} <= contract_total_cents
            ))
        ) as is_currency_mismatch
    from joined
),

flagged as (
    select
        *,
        is_rated and not is_currency_mismatch
            and abs(coalesce(billed_weight_kg, billable_weight_kg) - billable_weight_kg)
                > {{ var('freight_weight_tolerance_kg') }} as is_weight_discrepancy,
        is_rated and not is_currency_mismatch
            and zone_key != '' and zone_key != shipment_zone_key as is_zone_mismatch,
        is_rated and not is_currency_mismatch
            and surcharge_not_in_contract_amount != 0 as is_surcharge_not_in_contract
    from classified
),

explained as (
    select
        *,
        -- a service or zone the contract has no price for is a rate the card does not have
        is_rated and (
            contract_total_cents is null
            or (not is_currency_mismatch and not is_weight_discrepancy and not is_zone_mismatch
                and abs(billed_total - surcharge_not_in_contract_amount - contract_charge)
                    > {{ var('freight_amount_tolerance') }})
        ) as is_rate_mismatch,
        if(is_rated, contract_charge, toDecimal64(0, 2)) as expected_charge,
        assumeNotNull(ship_date) as fx_date
    from flagged
),

-- the day's rate of the parcel's ship date (the day the freight cost was incurred) turns every amount
-- into the base currency; the bill's own currency columns stay as billed
rated as (
    select
        explained.*,
        {{ fx_rate_to_base('fx', 'explained.currency') }} as fx_rate_to_base
    from explained
    {{ fx_rate_joins('fx', 'explained.currency', 'explained.fx_date') }}
),

final as (
    select
        cast(carrier as String) as carrier,
        cast(bill_no as String) as bill_no,
        bill_date,
        assumeNotNull(billing_period_start) as billing_period_start,
        assumeNotNull(billing_period_end) as billing_period_end,
        cast(bill_line_id as String) as bill_line_id,
        cast(source_file as String) as source_file,
        toUInt32(first_row_number) as row_number,
        cast(waybill_no as String) as waybill_no,
        assumeNotNull(ship_date) as ship_date,
        cast(coalesce(service, shipment_service) as Nullable(String)) as service,
        cast(zone as Nullable(String)) as billed_zone,
        cast(if(has_shipment, shipment_zone, null) as Nullable(String)) as contract_zone,
        toFloat64(billed_weight_kg) as billed_weight_kg,
        toNullable(if(has_shipment, toFloat64(billable_weight_kg), null)) as billable_weight_kg,
        cast(if(has_shipment, card_version, null) as Nullable(String)) as card_version,
        cast(currency as String) as currency,
        cast(if(has_shipment, card_currency, null) as Nullable(String)) as contract_currency,
        toDecimal64(billed_base, 2) as billed_base,
        toDecimal64(billed_fuel, 2) as billed_fuel,
        toDecimal64(billed_remote + billed_oversize + billed_residential, 2) as billed_accessorials,
        toDecimal64(billed_other, 2) as billed_other,
        cast(other_codes as String) as other_codes,
        toDecimal64(billed_total, 2) as billed_charge,
        toNullable(if(has_shipment, toDecimal64(contract_charge, 2), null)) as contract_charge,
        toDecimal64(ifNull(expected_charge, 0), 2) as expected_charge,
        toDecimal64(billed_total - expected_charge, 2) as variance,
        cast(is_duplicate_line as Bool) as is_duplicate_line,
        cast(is_duplicate_file as Bool) as is_duplicate_file,
        cast(original_file as String) as original_file,
        cast(is_billed_not_shipped as Bool) as is_billed_not_shipped,
        cast(ifNull(is_weight_discrepancy, false) as Bool) as is_weight_discrepancy,
        cast(ifNull(is_zone_mismatch, false) as Bool) as is_zone_mismatch,
        cast(ifNull(is_rate_mismatch, false) as Bool) as is_rate_mismatch,
        cast(ifNull(is_surcharge_not_in_contract, false) as Bool) as is_surcharge_not_in_contract,
        cast(ifNull(is_currency_mismatch, false) as Bool) as is_currency_mismatch,
        cast(
            is_duplicate_line or is_duplicate_file or is_billed_not_shipped or is_weight_discrepancy
            or is_zone_mismatch or is_rate_mismatch or is_surcharge_not_in_contract or is_currency_mismatch
            as Bool
        ) as is_flagged,
        cast(multiIf(
            is_duplicate_file, 'duplicate_file',
            is_duplicate_line, 'duplicate_line',
            is_billed_not_shipped, 'billed_not_shipped',
            is_currency_mismatch, 'currency_mismatch',
            is_weight_discrepancy, 'weight_discrepancy',
            is_zone_mismatch, 'zone_mismatch',
            is_surcharge_not_in_contract, 'surcharge_not_in_contract',
            is_rate_mismatch, 'rate_mismatch',
            ''
        ) as String) as dispute_reason,
        toDecimal64(if(is_flagged, variance, 0), 2) as dispute_amount,
        cast('{{ var("base_currency") }}' as String) as base_currency,
        toFloat64(fx_rate_to_base) as fx_rate_to_base,
        toDecimal64(round(toDecimal128(toFloat64(billed_total) * fx_rate_to_base, 8), 4), 4) as billed_charge_base,
        toDecimal64(round(toDecimal128(toFloat64(ifNull(expected_charge, 0)) * fx_rate_to_base, 8), 4), 4)
            as expected_charge_base,
        billed_charge_base - expected_charge_base as variance_base,
        toDecimal64(if(is_flagged, variance_base, 0), 4) as dispute_amount_base
    from rated
)

select * from final
