{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='order_date',
    order_by=['order_date', 'channel', 'order_id', 'line_no'],
    query_settings={'additional_table_filters': raw_read_since(
        ['order_lines', 'shipments'], var('margin_restatement_days') + 1)},
) }}

-- contribution margin per order line in the base currency: revenue net of discounts - refunds (both at
-- the order date's rate, so a full refund nets the sale to zero) - COGS (quantity x the moving weighted
-- average landed unit cost the valuation mart uses, as of the day the goods left; reversed for goods
-- returned to stock) - outbound freight (billed where a carrier billed the parcel, the contract
-- charge where not yet) - channel fees (settled where settled, the contract's where not yet).
-- refunds come from the channel's order export (per line where it states them per line, per order
-- otherwise); only where the export states no amount (Amazon) from the settlement that deducted it.
-- order-level money reaches the lines by a fixed rule: freight by line weight (qty x SKU weight; qty
-- when the weight is unknown), fees and order-level refunds by line revenue; the last line takes the
-- rounding remainder, so lines add up to the order exactly. a line's margin keeps changing after its
-- order date (bills, refunds and settlements come weeks later), so a run restates the window's dates
-- and the margin_restatement_days before it.
{%- set restate = var('margin_restatement_days') %}
with

latest_lines as (
    select * from {{ ref('stg_channels__order_lines') }}
    where channel != 'pos'
        and order_date >= {{ window_start() }} - toIntervalDay({{ restate }})
        and order_date < {{ window_end() }}
        -- an export lands on or after its order date (a day's slack for time zones), so the latest export
        -- of every order in the restated window is among the exports since then: the model reads raw
        -- order exports from then on only (query_settings above), also under the staging view's dedupe
),

-- a till journal is a transaction log, not an order snapshot: a receipt line's sale is its SALE row
-- (status delivered) on the day of the sale, and money given back later is a REFUND (qty 0, goods
-- kept) or RETURN (goods back) row dated the day of the refund, with the refunded amount as a negative
-- line amount. the latest export of a refunded receipt holds only those rows, so POS lines are built
-- from the journal, not from the latest export (whose order date is the refund's).
pos_sales as (
    select
        order_no,
        line_no,
        sku,
        warehouse_id,
        currency,
        order_date,
        row_number,
        qty,
        toDecimal64(qty * unit_price - coalesce(discount, toDecimal64(0, 4)), 4) as line_amount
    from {{ source('channels', 'order_lines') }}
    where channel = 'pos'
        and status = 'delivered'
        and order_date >= {{ window_start() }} - toIntervalDay({{ restate }})
        and order_date < {{ window_end() }}
        and business_date >= {{ window_start() }} - toIntervalDay({{ restate }} + 1)
    order by business_date, source_file, row_number
    limit 1 by order_no, line_no
),

pos_money_back as (
    select
        order_no,
        line_no,
        if(countIf(status = 'returned') > 0, 'returned', 'refunded') as status,
        toDecimal64(-sum(ifNull(line_amount, toDecimal64(0, 4))), 4) as refund_amount
    from (
        -- one row per line and journal day: a re-delivered journal repeats the day's rows
        select order_no, line_no, status, line_amount
        from {{ source('channels', 'order_lines') }}
        where channel = 'pos'
            and status in ('refunded', 'returned')
            and order_date >= {{ window_start() }} - toIntervalDay({{ restate }})
            and business_date >= {{ window_start() }} - toIntervalDay({{ restate }} + 1)
        order by loaded_at desc, source_file desc, row_number desc
        limit 1 by order_no, line_no, business_date
    )
    group by order_no, line_no
),

pos_lines as (
    select
        'pos' as channel,
        pos_sales.order_no as order_no,
        pos_sales.line_no as line_no,
        pos_sales.sku as sku,
        pos_sales.warehouse_id as warehouse_id,
        -- a non-key column tells a matched row (an unmatched one has the String default '')
        if(pos_money_back.status = '', 'delivered', pos_money_back.status) as status,
        pos_sales.currency as currency,
        pos_sales.order_date as order_date,
        pos_sales.row_number as row_number,
        pos_sales.qty as qty,
        pos_sales.line_amount as line_amount,
        if(pos_money_back.status = '', toDecimal64(0, 4), pos_money_back.refund_amount) as stated_line_refund,
        cast(null as Nullable(Decimal(18, 4))) as stated_order_refund
    from pos_sales
    left join pos_money_back
        on pos_sales.order_no = pos_money_back.order_no and pos_sales.line_no = pos_money_back.line_no
),

lines as (
    select
        channel,
        order_no,
        line_no,
        sku,
        warehouse_id,
        status,
        currency,
        order_date,
        row_number,
        qty,
        line_amount,
        -- refunded so far as the order export states it: per line (Tmall, JD, Douyin), per order and
        -- repeated on every line (Shopify), or not at all (null: Amazon's order report)
        cast(refund_amount as Nullable(Decimal(18, 4))) as stated_line_refund,
        cast(order_refund_amount as Nullable(Decimal(18, 4))) as stated_order_refund
    from latest_lines

    union all

    select
        channel, order_no, line_no, sku, warehouse_id, status, currency, order_date, row_number, qty,
        line_amount, cast(stated_line_refund as Nullable(Decimal(18, 4))), stated_order_refund
    from pos_lines
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

-- refunds the settlements deducted, in the order currency (positive = money back to the buyer): the
-- amount of record only where the order export states none (Amazon)
settled_refunds as (
    select
        channel,
        order_no,
        toDecimal64(-sum(refund_cents) / 100, 4) as settled_refund
    from {{ ref('int_settlement__settled_items') }}
    where settlement_kind = 'refund'
    group by channel, order_no
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
        fees.fees_base as order_fees_base,
        -- a return brings the goods back to stock (ingestion tells a Douyin return from a cancellation
        -- by its after-sale state)
        lines.status = 'returned' as is_return,
        lines.stated_line_refund as stated_line_refund,
        lines.stated_order_refund as stated_order_refund,
        settled_refunds.order_no != '' as has_settled_refund,
        settled_refunds.settled_refund as settled_refund
    from lines
    left join skus
        on lines.sku = skus.sku
    left join freight
        on lines.channel = freight.channel and lines.order_no = freight.order_no
    left join fees
        on lines.channel = fees.channel and lines.order_no = fees.order_no
    left join settled_refunds
        on lines.channel = settled_refunds.channel and lines.order_no = settled_refunds.order_no
    where lines.status != 'cancelled'
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

-- where the refund of record comes from, and the order-level amount to allocate when it is one:
-- the export's line amount; else the export's order amount; else, for a return the export states no
-- amount of, the whole line; else what a settlement deducted; else a refund the export reports
-- without an amount (Amazon) is pending until a settlement deducts it (0 until then)
refund_sourced as (
    select
        *,
        cast(multiIf(
            stated_line_refund is not null,
                if(stated_line_refund != 0 or is_return or status = 'refunded', 'order_export', 'none'),
            stated_order_refund is not null, 'order_export',
            is_return, 'return',
            has_settled_refund, 'settlement',
            status = 'refunded', 'pending',
            'none'
        ) as String) as refund_basis,
        multiIf(
            stated_line_refund is not null, null,
            stated_order_refund is not null, stated_order_refund,
            is_return, null,
            has_settled_refund, settled_refund,
            null
        ) as order_refund
    from shares
),

allocated as (
    select
        *,
        toDecimal64(round(toFloat64(order_freight_billed_base) * weight_share, 4), 4) as billed_share,
        toDecimal64(round(toFloat64(order_freight_expected_base) * weight_share, 4), 4) as expected_share,
        toDecimal64(round(toFloat64(order_freight_base) * weight_share, 4), 4) as freight_share,
        toDecimal64(round(toFloat64(order_fees_base) * revenue_share, 4), 4) as fees_share,
        toDecimal64(round(toFloat64(ifNull(order_refund, 0)) * revenue_share, 4), 4) as refund_share
    from refund_sourced
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
            fees_share) as channel_fees_base,
        multiIf(
            stated_line_refund is not null, assumeNotNull(stated_line_refund),
            order_refund is not null,
                if(is_last_line,
                    assumeNotNull(order_refund)
                        - sum(if(is_last_line, 0, refund_share)) over (partition by channel, order_no),
                    refund_share),
            refund_basis = 'return', revenue,
            toDecimal64(0, 4)
        ) as line_refund
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
        refund_basis,
        toDecimal64(ifNull(line_refund, 0), 4) as refund,
        -- at the order date's rate, like revenue: a full refund nets the line's revenue to exactly zero
        toDecimal64(round(toFloat64(refund) * fx_rate_to_base, 4), 4) as refund_base,
        toDecimal64(revenue_base - refund_base, 4) as net_revenue_base,
        toInt64(if(is_return, quantity, 0)) as returned_quantity,
        -- the goods came back: the line's COGS is reversed at the unit cost it left with
        toDecimal64(returned_quantity * toDecimal64(unit_cost_base, 4), 4) as cogs_reversal_base,
        toDecimal64(
            net_revenue_base - (cogs_base - cogs_reversal_base) - outbound_freight_base - channel_fees_base, 4
        ) as contribution_margin_base,
        cast('{{ var("base_currency") }}' as String) as base_currency
    from remaindered
)

select * from final
