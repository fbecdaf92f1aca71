-- the part of the moving weighted average unit cost that is landed-cost add-on (inbound freight and
-- duty, as the receipts state them per lot), per warehouse x sku after each day with movements.
-- the average is linear in the inbound value, so folding the add-on value over the same quantities
-- with the same fold (macro moving_average_fold) gives exactly the add-on share of that
-- average (never more than the average itself). a receipt states freight and duty per lot line, so
-- the allocation to units is by quantity within the lot; there is nothing across lots to split.
with

-- every known day, as int_inventory__moving_average_cost: a line is costed as of its ship date,
-- which may fall after the run's max_date; the forward fold leaves earlier days' values unchanged
movements as (
    select * from {{ ref('int_inventory__movements_costed') }}
),

receipts as (
    select * from {{ ref('stg_erp__purchase_receipts') }}
),

lot_addons as (
    select
        lot_id,
        sum((toFloat64(inbound_freight) + toFloat64(duties)) * fx_rate_to_base) / greatest(sum(qty), 1)
            as addon_unit_cost_base
    from receipts
    group by lot_id
),

flows as (
    select
        movements.movement_date as movement_date,
        movements.warehouse_id as warehouse_id,
        movements.sku as sku,
        sumIf(toInt64(movements.qty), movements.qty > 0) as inbound_qty,
        sumIf(lot_addons.addon_unit_cost_base * movements.qty, movements.qty > 0) as inbound_addon_value_base,
        sum(toInt64(movements.qty)) as net_qty
    from movements
    left join lot_addons
        on movements.lot_id = lot_addons.lot_id
    group by movements.movement_date, movements.warehouse_id, movements.sku
),

final as (
    {{ moving_average_fold('flows', 'inbound_qty', 'inbound_addon_value_base', 'net_qty',
                           'addon_unit_cost_base') }}
)

select * from final
