{{ config(materialized='table', order_by=['movement_date', 'warehouse_id', 'sku']) }}

-- every book movement with the age date and landed cost of its lot. inbound lines of a lot without a
-- receipt (data gap) age from the day they were booked and carry no cost.
-- a table ordered by movement date, not a view: the daily flows (so the moving average), the FIFO
-- layers and the landed add-on all read it, and a window on movement_date skips the older granules.
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
        -- (compared as String: LowCardinality in, LowCardinality(UInt8) out, which a table may not hold)
        cast(movements.doc_type as String) in ('shipment', 'pos_sale') as is_sale
    from movements
    left join lot_costs
        on movements.lot_id = lot_costs.lot_id
)

select * from final
