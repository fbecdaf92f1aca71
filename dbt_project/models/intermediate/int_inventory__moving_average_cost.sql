-- the moving weighted average unit cost per warehouse x sku after each day with movements.
-- day grain: the day's inbound merges into the stock carried from the day before at its average,
-- then the day's outbound leaves at the new average (so outbound never changes the average).
-- when nothing is carried (zero or negative book), the average restarts at the inbound cost.
-- the recursion runs as one arrayFold per warehouse x sku over its days: set-based, no row loop.
with

-- every known day, not only those before the run's max_date: the fold runs forward, so later days
-- never change an earlier average (the valuation mart's as-of join is unaffected), while the margin
-- mart costs a line as of its ship date, which can fall after the run's window; cutting there would make
-- a re-run of one past date cost those lines differently from the full build (not idempotent)
flows as (
    select * from {{ ref('int_inventory__daily_flows') }}
),

histories as (
    select
        warehouse_id,
        sku,
        arraySort(
            x -> x.1,
            groupArray((movement_date, inbound_qty, toFloat64(inbound_value_base), inbound_qty + outbound_qty))
        ) as days
    from flows
    group by warehouse_id, sku
),

folded as (
    select
        warehouse_id,
        sku,
        days,
        arrayFold(
            (state, day) -> (
                state.1 + day.4,
                if(
                    greatest(state.1, 0) + day.2 > 0,
                    (greatest(state.1, 0) * state.2 + day.3) / (greatest(state.1, 0) + day.2),
                    state.2
                ),
                arrayPushBack(
                    state.3,
                    if(
                        greatest(state.1, 0) + day.2 > 0,
                        (greatest(state.1, 0) * state.2 + day.3) / (greatest(state.1, 0) + day.2),
                        state.2
                    )
                )
            ),
            days,
            (toInt64(0), toFloat64(0), emptyArrayFloat64())
        ).3 as averages
    from histories
),

final as (
    select
        warehouse_id,
        sku,
        day.1 as movement_date,
        toDecimal64(average, 4) as moving_average_unit_cost
    from folded
    array join days as day, averages as average
)

select * from final
