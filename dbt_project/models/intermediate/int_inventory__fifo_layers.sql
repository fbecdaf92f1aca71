-- the inbound layers FIFO aging allocates on-hand stock to: every book movement that added stock
-- (opening balance, purchase receipt, transfer in, customer return, found stock), each aged from the
-- day its lot was first received. so age travels with the lot on transfers, and returned goods come
-- back as old as they left.
with

movements as (
    select * from {{ ref('int_inventory__movements_costed') }}
),

final as (
    select
        warehouse_id,
        sku,
        lot_id,
        doc_no,
        doc_type,
        movement_date,
        age_date,
        toInt64(qty) as layer_qty,
        source_file,
        source_row
    from movements
    where qty > 0
)

select * from final
