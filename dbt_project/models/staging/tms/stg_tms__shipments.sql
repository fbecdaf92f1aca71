-- one row per parcel as it left the warehouse: the TMS `shipped` event carries the weight, dimensions,
-- destination and zone the contract prices; later events (delivered, ...) only move its status.
-- The latest delivery of that event wins, by business date first as in latest_version: re-loading an
-- older day (a backfill) must not let its older version override a later day's.
with

source as (
    select *
    from {{ source('tms', 'shipments') }}
    where coalesce(event, 'shipped') = 'shipped'
    order by business_date desc, loaded_at desc, source_file desc, row_number desc
    limit 1 by carrier, waybill_no
),

final as (
    select
        carrier,
        waybill_no,
        order_no,
        channel,
        warehouse_id,
        service,
        ship_ts,
        ship_date,
        coalesce(actual_weight_kg, 0) as actual_weight_kg,
        coalesce(length_cm, 0) as length_cm,
        coalesce(width_cm, 0) as width_cm,
        coalesce(height_cm, 0) as height_cm,
        dest_country,
        dest_region,
        zone,
        -- carriers write the same zone as '7' or '007' (EDI 210 CD3)
        replaceRegexpOne(coalesce(zone, ''), '^0+([0-9])', '\\1') as zone_key
    from source
)

select * from final
