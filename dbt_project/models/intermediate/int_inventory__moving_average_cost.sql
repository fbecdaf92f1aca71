{{ config(materialized='table') }}

-- the moving weighted average unit cost per warehouse x sku after each day with movements.
-- day grain: the day's inbound merges into the stock carried from the day before at its average,
-- then the day's outbound leaves at the new average (so outbound never changes the average).
-- when nothing is carried (zero or negative book), the average restarts at the inbound cost.
-- the recursion (macro moving_average_fold) runs as one arrayFold per warehouse x sku over its days.
-- a table, not a view: the valuation and the order margin both read it, and as a view each would
-- replay every movement.
with

-- every known day, not only those before the run's max_date: the fold runs forward, so later days
-- never change an earlier average (the valuation mart's as-of join is unaffected), while the margin
-- mart costs a line as of its ship date, which can fall after the run's window; cutting there would make
-- a re-run of one past date cost those lines differently from the full build (not idempotent)
flows as (
    select * from {{ ref('int_inventory__daily_flows') }}
),

final as (
    {{ moving_average_fold('flows', 'inbound_qty', 'inbound_value_base', 'inbound_qty + outbound_qty',
                           'moving_average_unit_cost') }}
)

select * from final
