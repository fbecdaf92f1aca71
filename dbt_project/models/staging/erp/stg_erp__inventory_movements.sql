-- one row per ERP stock document line; a re-delivered document replaces all of its earlier lines.
with

source as (
    {{ latest_version(source('erp', 'inventory_movements'), 'doc_no', whole_file=true) }}
),

final as (
    select
        doc_no,
        doc_type,
        movement_id,
        warehouse_id,
        sku,
        coalesce(lot_id, '') as lot_id,
        qty,
        ref_no,
        movement_date,
        movement_ts,
        source_file,
        row_number as source_row
    from source
)

select * from final
