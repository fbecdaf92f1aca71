-- the aging buckets of every day close x warehouse x sku add up to its on hand and its inventory
-- value, to the last decimal (both sides use the valuation's unit cost), and nothing is missing
-- on either side.
with

aging as (
    select snapshot_date, warehouse_id, sku, sum(qty) as qty, sum(inventory_value) as inventory_value
    from {{ ref('fct_inventory_aging') }}
    group by snapshot_date, warehouse_id, sku
),

valuation as (
    select valuation_date as snapshot_date, warehouse_id, sku, on_hand_qty, inventory_value
    from {{ ref('fct_inventory_valuation') }}
    where on_hand_qty != 0
)

select
    valuation.snapshot_date,
    valuation.warehouse_id,
    valuation.sku,
    valuation.on_hand_qty,
    aging.qty,
    valuation.inventory_value,
    aging.inventory_value as aging_value
from valuation
full outer join aging
    on valuation.snapshot_date = aging.snapshot_date
    and valuation.warehouse_id = aging.warehouse_id
    and valuation.sku = aging.sku
where valuation.on_hand_qty != aging.qty
    or valuation.inventory_value != aging.inventory_value
