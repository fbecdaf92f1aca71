{#- The moving weighted average per warehouse x sku after each day with movements, as one select over a
    relation (or CTE) of daily flows with columns movement_date, warehouse_id and sku. Day grain: the
    day's inbound (quantity `inbound_qty`, value `inbound_value`) merges into the stock carried from the
    day before at its average, then the day's outbound leaves at the new average (so outbound never
    changes the average); `net_qty` (in - out) moves the carried stock. When nothing is carried (zero or
    negative book) the average restarts at the inbound cost. The recursion runs as one arrayFold per
    warehouse x sku over its days: set-based, no row loop. The average is linear in the inbound value,
    so folding a part of the value (e.g. the landed add-on) over the same quantities gives exactly that
    part of the average: int_inventory__moving_average_cost and int_margin__landed_addon_cost share it. -#}
{% macro moving_average_fold(flows, inbound_qty, inbound_value, net_qty, output_column) -%}
    select
        warehouse_id,
        sku,
        day.1 as movement_date,
        toDecimal64(average, 4) as {{ output_column }}
    from (
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
        from (
            select
                warehouse_id,
                sku,
                arraySort(
                    x -> x.1,
                    groupArray((movement_date, {{ inbound_qty }}, toFloat64({{ inbound_value }}), {{ net_qty }}))
                ) as days
            from {{ flows }}
            group by warehouse_id, sku
        )
    )
    array join days as day, averages as average
{%- endmacro %}
