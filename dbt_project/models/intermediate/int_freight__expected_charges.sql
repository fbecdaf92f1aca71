{{ config(materialized='table') }}

-- the contract charge of every shipped parcel, under the card in force on its ship date, in integer
-- cents of the card currency. The arithmetic is the contract's, step for step: billable weight =
-- max(actual, L x W x H / divisor) in the card's unit, rounded up to its step (a hair of tolerance so an
-- exact multiple stays put), never below the first weight; base = first price + extra steps x
-- additional price; fuel = base x fuel %, half up to the cent; flat accessorials when they apply.
-- a table, not a view: the freight audit, the unbilled accrual and the order margin's outbound freight
-- all read it, and as a view each would re-price every parcel.
{%- set weekly = var('freight_weekly_carriers') %}
with

shipments as (
    select * from {{ ref('stg_tms__shipments') }}
),

rate_cards as (
    select * from {{ ref('stg_carriers__rate_cards') }}
),

carded as (
    select
        shipments.carrier as carrier,
        shipments.waybill_no as waybill_no,
        shipments.order_no as order_no,
        shipments.warehouse_id as warehouse_id,
        shipments.ship_date as ship_date,
        shipments.service as service,
        shipments.zone as zone,
        shipments.zone_key as zone_key,
        shipments.dest_country as dest_country,
        shipments.dest_region as dest_region,
        shipments.actual_weight_kg as actual_weight_kg,
        shipments.length_cm as length_cm,
        shipments.width_cm as width_cm,
        shipments.height_cm as height_cm,
        rate_cards.card_version as card_version,
        rate_cards.valid_from as card_valid_from,
        rate_cards.currency as currency,
        rate_cards.is_pound_card as is_pound_card,
        rate_cards.weight_step as weight_step,
        rate_cards.weight_step_kg as weight_step_kg,
        rate_cards.first_steps as first_steps,
        rate_cards.first_price_cents as first_price_cents,
        rate_cards.additional_price_cents as additional_price_cents,
        rate_cards.volumetric_divisor as volumetric_divisor,
        rate_cards.fuel_bp as fuel_bp,
        rate_cards.remote_cents as remote_rate_cents,
        rate_cards.oversize_cents as oversize_rate_cents,
        rate_cards.residential_cents as residential_rate_cents,
        rate_cards.has_remote as has_remote,
        rate_cards.has_oversize as has_oversize,
        rate_cards.has_residential as has_residential,
        rate_cards.remote_regions as remote_regions,
        rate_cards.oversize_longest_side_cm as oversize_longest_side_cm
    from shipments
    asof left join rate_cards
        on shipments.carrier = rate_cards.carrier
        and shipments.service = rate_cards.service
        and shipments.zone = rate_cards.zone
        and shipments.ship_date >= rate_cards.valid_from
    settings join_use_nulls = 1
),

weighed as (
    select
        *,
        length_cm * width_cm * height_cm / volumetric_divisor as volumetric_weight_kg,
        greatest(actual_weight_kg, volumetric_weight_kg) as chargeable_weight_kg,
        if(is_pound_card, chargeable_weight_kg * 2.20462262, chargeable_weight_kg) as chargeable_weight_unit,
        greatest(toInt64(ceil(chargeable_weight_unit / weight_step - 1e-9)), first_steps) as billable_steps
    from carded
),

priced as (
    select
        *,
        first_price_cents + (billable_steps - first_steps) * additional_price_cents as base_cents,
        intDiv(base_cents * fuel_bp + 5000, 10000) as fuel_cents,
        if(has_remote and has(remote_regions, coalesce(dest_region, '')), remote_rate_cents, 0) as remote_cents,
        if(has_oversize and greatest(length_cm, width_cm, height_cm) > oversize_longest_side_cm,
            oversize_rate_cents, 0) as oversize_cents,
        if(has_residential, residential_rate_cents, 0) as residential_cents
    from weighed
),

final as (
    select
        carrier,
        waybill_no,
        order_no,
        warehouse_id,
        ship_date,
        if(
            carrier in ('{{ weekly | join("', '") }}'), toMonday(ship_date), toStartOfMonth(ship_date)
        ) as billing_period_start,
        if(
            carrier in ('{{ weekly | join("', '") }}'), toMonday(ship_date) + 6, toLastDayOfMonth(ship_date)
        ) as billing_period_end,
        service,
        zone,
        zone_key,
        dest_country,
        dest_region,
        card_version,
        card_valid_from,
        currency,
        card_version is not null as is_priced,
        chargeable_weight_kg,
        billable_steps,
        billable_steps * weight_step_kg as billable_weight_kg,
        base_cents,
        fuel_cents,
        remote_cents,
        oversize_cents,
        residential_cents,
        base_cents + fuel_cents + remote_cents + oversize_cents + residential_cents as total_cents,
        has_remote,
        has_oversize,
        has_residential
    from priced
)

select * from final
