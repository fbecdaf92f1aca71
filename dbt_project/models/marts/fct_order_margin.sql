{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='order_date',
    order_by=['order_date', 'channel', 'order_id', 'line_no'],
) }}

-- contribution margin per order line in the base currency: revenue net of discounts (order date rate)
-- - COGS (quantity x the moving weighted average landed unit cost the valuation mart uses, as of the
-- day the goods left) - outbound freight (billed where a carrier billed the parcel, the contract
-- charge where not yet) - channel fees (settled where settled, the contract's where not yet).
-- order-level money reaches the lines by a fixed rule: freight by line weight (qty x SKU weight; qty
-- when the weight is unknown), fees by line revenue; the last line takes the rounding remainder, so
-- lines add up to the order exactly. a line's margin keeps changing after its order date (bills and
-- settlements come weeks later), so a run restates the window's dates and the
-- margin_restatement_days before it.
{%- set restate = var('margin_restatement_days') %}
with

latest_lines as (
    select * from {{ ref('stg_channels__order_lines') }}
    where order_date >= {{ window_start() }} - toIntervalDay({{ restate }})
        and order_date < {{ window_end() }}
),

-- a till journal is a transaction log, not an order snapshot: its later REFUND (qty 0) or RETURN rows
-- replace the receipt in the latest export, so a POS line's sale is its first export's row
pos_sales as (
    select
        order_no,
        line_no,
        qty,
        toDecimal64(qty * unit_price - coalesce(discount, toDecimal64(0, 4)), 4) as line_amount
    from {{ source('channels', 'order_lines') }}
    where channel = 'pos'
        and order_date >= {{ window_start() }} - toIntervalDay({{ restate }})
        and order_date < {{ window_end() }}
    order by business_date, source_file, row_number
    limit 1 by order_no, line_no
),

lines as (
    select
        latest_lines.channel as channel,
        latest_lines.order_no as order_no,
        latest_lines.line_no as line_no,
        latest_lines.sku as sku,
        latest_lines.warehouse_id as warehouse_id,
        latest_lines.status as status,
        latest_lines.currency as currency,
        latest_lines.order_date as order_date,
        latest_lines.row_number as row_number,
        if(latest_lines.channel = 'pos' and pos_sales.qty > 0, pos_sales.qty, latest_lines.qty) as qty,
        if(latest_lines.channel = 'pos' and pos_sales.qty > 0, pos_sales.line_amount, latest_lines.line_amount)
            as line_amount
    from latest_lines
    left join pos_sales
        on latest_lines.order_no = pos_sales.order_no and latest_lines.line_no = pos_sales.line_no
),

skus as (
    select * from {{ ref('stg_erp__sku_master') }}
),

freight as (
    select * from {{ ref('int_margin__outbound_freight') }}
),

fees as (
    select * from {{ ref('int_margin__channel_fees') }}
),

moving_average as (
    select * from {{ ref('int_inventory__moving_average_cost') }}
),

landed_addon as (
    select * from {{ ref('int_margin__landed_addon_cost') }}
),

order_lines as (
    select
        lines.channel as channel,
        lines.order_no as order_no,
        -- exports without line numbers (most channels) number the lines in file order
        ifNull(
            lines.line_no,
            toInt32(row_number() over (partition by lines.channel, lines.order_no order by lines.row_number))
        ) as line_no,
        lines.sku as sku,
        -- the warehouse the parcel left from; POS and unshipped lines: the channel's usual warehouse
        cast(coalesce(
            lines.warehouse_id,
            nullIf(freight.warehouse_id, ''),
            {{ channel_warehouse('lines.channel') }}
        ) as String) as warehouse_id,
        lines.status as status,
        lines.currency as currency,
        lines.order_date as order_date,
        toInt64(lines.qty) as quantity,
        lines.line_amount as revenue,
        -- whole grams, so the order's total weight is an exact integer sum (float sums over a window can
        -- differ in the last bit between runs and flip a rounded share)
        toInt64(lines.qty) * toInt64(round(if(ifNull(skus.weight_kg, 0) > 0, toFloat64(skus.weight_kg), 1.0) * 1000))
            as line_weight,
        -- a non-key column tells a matched row (testing the join key against '' did not, on this engine)
        freight.parcels > 0 as is_shipped,
        -- goods leave the book on the ship date; POS sales and unshipped lines at the order date
        if(freight.parcels > 0, freight.ship_date, lines.order_date) as cost_date,
        freight.billed_parcels as billed_parcels,
        freight.parcels as parcels,
        freight.billed_base as order_freight_billed_base,
        freight.expected_base as order_freight_expected_base,
        freight.billed_base + freight.expected_unbilled_base as order_freight_base,
        fees.fee_basis != '' as has_fees,
        fees.fee_basis as fee_basis,
        fees.fees_base as order_fees_base
    from lines
    left join skus
        on lines.sku = skus.sku
    left join freight
        on lines.channel = freight.channel and lines.order_no = freight.order_no
    left join fees
        on lines.channel = fees.channel and lines.order_no = fees.order_no
    -- an order is cancelled only before it ships: one "cancelled" (closed) after a parcel left is a
    -- return (Douyin closes returned orders with the same status), and its sale stays in the margin
    where lines.status != 'cancelled' or freight.parcels > 0
),

converted as (
    select
        order_lines.*,
        {{ fx_rate_to_base('fx', 'order_lines.currency') }} as fx_rate_to_base
    from order_lines
    {{ fx_rate_joins('fx', 'order_lines.currency', 'order_lines.order_date') }}
),

costed as (
    select
        converted.*,
        moving_average.moving_average_unit_cost as unit_cost_base,
        moving_average.movement_date as cost_as_of
    from converted
    asof left join moving_average
        on converted.warehouse_id = moving_average.warehouse_id
        and converted.sku = moving_average.sku
        and converted.cost_date >= moving_average.movement_date
),

with_addon as (
    select
        costed.*,
        landed_addon.addon_unit_cost_base as addon_unit_cost_base
    from costed
    asof left join landed_addon
        on costed.warehouse_id = landed_addon.warehouse_id
        and costed.sku = landed_addon.sku
        and costed.cost_date >= landed_addon.movement_date
),

shares as (
    select
        *,
        toDecimal64(round(toFloat64(revenue) * fx_rate_to_base, 4), 4) as revenue_base,
        -- an order whose lines weigh (or earn) nothing splits evenly
        if(
            sum(line_weight) over (partition by channel, order_no) = 0,
            1 / count() over (partition by channel, order_no),
            toFloat64(line_weight) / toFloat64(sum(line_weight) over (partition by channel, order_no))
        ) as weight_share,
        if(
            sum(revenue) over (partition by channel, order_no) = 0,
            1 / count() over (partition by channel, order_no),
            toFloat64(revenue) / toFloat64(sum(revenue) over (partition by channel, order_no))
        ) as revenue_share,
        row_number() over (partition by channel, order_no order by line_no desc) = 1 as is_last_line
    from with_addon
),

allocated as (
    select
        *,
        toDecimal64(round(toFloat64(order_freight_billed_base) * weight_share, 4), 4) as billed_share,
        toDecimal64(round(toFloat64(order_freight_expected_base) * weight_share, 4), 4) as expected_share,
        toDecimal64(round(toFloat64(order_freight_base) * weight_share, 4), 4) as freight_share,
        toDecimal64(round(toFloat64(order_fees_base) * revenue_share, 4), 4) as fees_share
    from shares
),

remaindered as (
    select
        *,
        if(is_last_line,
            order_freight_billed_base - sum(if(is_last_line, 0, billed_share)) over (partition by channel, order_no),
            billed_share) as outbound_freight_billed_base,
        if(is_last_line,
            order_freight_expected_base - sum(if(is_last_line, 0, expected_share)) over (partition by channel, order_no),
            expected_share) as outbound_freight_expected_base,
        if(is_last_line,
            order_freight_base - sum(if(is_last_line, 0, freight_share)) over (partition by channel, order_no),
            freight_share) as outbound_freight_base,
        if(is_last_line,
            order_fees_base - sum(if(is_last_line, 0, fees_share)) over (partition by channel, order_no),
            fees_share) as channel_fees_base
    from allocated
),

final as (
    select
        order_date,
        cast(channel as String) as channel,
        cast(order_no as String) as order_id,
        toInt64(ifNull(line_no, 0)) as line_no,
        cast(sku as String) as sku,
        cast(warehouse_id as String) as warehouse_id,
        cast(status as String) as status,
        cast(currency as String) as currency,
        quantity,
        toDecimal64(revenue, 4) as revenue,
        toFloat64(fx_rate_to_base) as fx_rate_to_base,
        revenue_base,
        cost_date,
        toDecimal64(unit_cost_base, 4) as unit_cost_base,
        toDecimal64(quantity * toDecimal64(unit_cost_base, 4), 4) as cogs_base,
        toDecimal64(quantity * toDecimal64(addon_unit_cost_base, 4), 4) as landed_cost_base,
        cast(multiIf(
            not is_shipped, 'none',
            billed_parcels = parcels, 'billed',
            billed_parcels > 0, 'partly_billed',
            'expected'
        ) as String) as freight_basis,
        -- (window sums come back Nullable; every input is non-null, so the null branch never occurs)
        toDecimal64(ifNull(outbound_freight_billed_base, 0), 4) as outbound_freight_billed_base,
        toDecimal64(ifNull(outbound_freight_expected_base, 0), 4) as outbound_freight_expected_base,
        toDecimal64(ifNull(outbound_freight_base, 0), 4) as outbound_freight_base,
        cast(if(has_fees, fee_basis, 'none') as String) as fee_basis,
        toDecimal64(ifNull(channel_fees_base, 0), 4) as channel_fees_base,
        toDecimal64(revenue_base - cogs_base - outbound_freight_base - channel_fees_base, 4)
            as contribution_margin_base,
        cast('{{ var("base_currency") }}' as String) as base_currency
    from remaindered
)

select * from final
