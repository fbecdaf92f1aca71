-- physical stock at each day close; the latest delivery of a warehouse's close replaces all of it.
with

source as (
    {{ latest_version(source('wms', 'wms_snapshot'), 'snapshot_date, warehouse_id', whole_file=true) }}
),

final as (
    select
        snapshot_date,
        warehouse_id,
        location,
        sku,
        coalesce(lot_id, '') as lot_id,
        on_hand,
        coalesce(damaged, 0) as damaged,
        on_hand - coalesce(damaged, 0) as usable_qty,
        available,
        reserved
    from source
)

select * from final
