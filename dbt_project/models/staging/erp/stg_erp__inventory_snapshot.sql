-- the book at each day close; the latest delivery of a close replaces the whole close.
with

source as (
    {{ latest_version(source('erp', 'erp_snapshot'), 'snapshot_date', whole_file=true) }}
),

final as (
    select
        snapshot_date,
        warehouse_id,
        sku,
        coalesce(lot_id, '') as lot_id,
        book_qty,
        unit_cost as book_unit_cost,
        book_value,
        currency as book_currency,
        abc_class
    from source
)

select * from final
