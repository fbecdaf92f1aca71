-- one row per business date x warehouse x sku with book movements: what came in (at lot landed cost),
-- what went out, and how much of it was sold.
with

movements as (
    select * from {{ ref('int_inventory__movements_costed') }}
),

final as (
    select
        movement_date,
        warehouse_id,
        sku,
        sumIf(toInt64(qty), qty > 0) as inbound_qty,
        sumIf(toInt64(qty), qty < 0) as outbound_qty,
        sumIf(lot_unit_cost_base * qty, qty > 0) as inbound_value_base,
        -sumIf(toInt64(qty), is_sale) as sold_qty
    from movements
    group by movement_date, warehouse_id, sku
)

select * from final
