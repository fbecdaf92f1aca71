-- every book movement with the age date and landed cost of its lot. inbound lines of a lot without a
-- receipt (data gap) age from the day they were booked and carry no cost.
with

movements as (
    select * from {{ ref('stg_erp__inventory_movements') }}
),

lot_costs as (
    select * from {{ ref('int_inventory__lot_costs') }}
),

final as (
    select
        movements.doc_no,
        movements.doc_type,
        movements.warehouse_id,
        movements.sku,
        movements.lot_id,
        movements.qty,
        movements.movement_date,
        movements.source_file,
        movements.source_row,
        lot_costs.lot_id != '' as has_lot_cost,
        if(lot_costs.lot_id != '', lot_costs.received_date, movements.movement_date) as age_date,
        lot_costs.landed_unit_cost_base as lot_unit_cost_base,
        movements.doc_type in ('shipment', 'pos_sale') as is_sale
    from movements
    left join lot_costs
        on movements.lot_id = lot_costs.lot_id
)

select * from final
