-- one row per carrier x card version x service x zone: everything that prices a parcel, with the
-- accessorials of the same version pivoted alongside. Money stays in integer cents of the card
-- currency and weights in the card's own unit, so re-rating repeats the contract's arithmetic exactly.
{%- set pound_carriers = var('freight_pound_carriers') %}
with

source as (
    {{ latest_version(source('carriers', 'rate_cards'), 'carrier, service, zone, charge_type, valid_from') }}
),

base_rates as (
    select *
    from source
    where charge_type = 'base'
),

accessorials as (
    select
        carrier,
        valid_from,
        toInt64(round(maxIf(coalesce(flat_amount, 0) * 100, charge_type = 'remote'))) as remote_cents,
        toInt64(round(maxIf(coalesce(flat_amount, 0) * 100, charge_type = 'oversize'))) as oversize_cents,
        toInt64(round(maxIf(coalesce(flat_amount, 0) * 100, charge_type = 'residential'))) as residential_cents,
        countIf(charge_type = 'remote') > 0 as has_remote,
        countIf(charge_type = 'oversize') > 0 as has_oversize,
        countIf(charge_type = 'residential') > 0 as has_residential,
        -- the contract's conditions as written: 'dest_region in NM|QH|XJ|XZ', 'longest side > 60 cm'
        splitByChar('|', trim(extract(anyIf(applies_when, charge_type = 'remote'), 'in\\s+(.*)$')))
            as remote_regions,
        toFloat64OrNull(extract(anyIf(applies_when, charge_type = 'oversize'), '>\\s*([0-9.]+)'))
            as oversize_longest_side_cm
    from source
    where charge_type != 'base'
    group by carrier, valid_from
),

in_card_units as (
    select
        base_rates.carrier as carrier,
        base_rates.card_version as card_version,
        base_rates.valid_from as valid_from,
        base_rates.service as service,
        base_rates.zone as zone,
        base_rates.currency as currency,
        base_rates.carrier in ('{{ pound_carriers | join("', '") }}') as is_pound_card,
        -- the contract table holds kg; the card rounds in its own unit (0.45359237 kg = 1 lb)
        if(is_pound_card, round(base_rates.additional_unit_kg / 0.45359237, 6), base_rates.additional_unit_kg)
            as weight_step,
        if(is_pound_card, round(base_rates.first_weight_kg / 0.45359237, 6), base_rates.first_weight_kg)
            as first_weight,
        base_rates.additional_unit_kg as weight_step_kg,
        toInt64(round(base_rates.first_weight_price * 100)) as first_price_cents,
        toInt64(round(base_rates.additional_unit_price * 100)) as additional_price_cents,
        base_rates.volumetric_divisor as volumetric_divisor,
        toInt64(round(coalesce(base_rates.fuel_surcharge_pct, 0) * 100)) as fuel_bp,
        coalesce(accessorials.remote_cents, 0) as remote_cents,
        coalesce(accessorials.oversize_cents, 0) as oversize_cents,
        coalesce(accessorials.residential_cents, 0) as residential_cents,
        coalesce(accessorials.has_remote, false) as has_remote,
        coalesce(accessorials.has_oversize, false) as has_oversize,
        coalesce(accessorials.has_residential, false) as has_residential,
        if(accessorials.has_remote, accessorials.remote_regions, []) as remote_regions,
        accessorials.oversize_longest_side_cm as oversize_longest_side_cm
    from base_rates
    left join accessorials
        on base_rates.carrier = accessorials.carrier and base_rates.valid_from = accessorials.valid_from
    settings join_use_nulls = 1
),

final as (
    select
        carrier,
        card_version,
        valid_from,
        service,
        zone,
        replaceRegexpOne(coalesce(zone, ''), '^0+([0-9])', '\\1') as zone_key,
        currency,
        is_pound_card,
        weight_step,
        weight_step_kg,
        first_weight,
        toInt64(round(first_weight / weight_step)) as first_steps,
        first_price_cents,
        additional_price_cents,
        volumetric_divisor,
        fuel_bp,
        remote_cents,
        oversize_cents,
        residential_cents,
        has_remote,
        has_oversize,
        has_residential,
        remote_regions,
        oversize_longest_side_cm
    from in_card_units
)

select * from final
