-- channel fees per settled-channel order (commission, fulfilment and other fees of the sale, as a cost:
-- positive), in the base currency: what the settlement deducted where the order is settled (at the
-- settlement date's rate), else what the contract says it will deduct (at the rate of its due
-- settlement date, or the latest known). channels without settlement terms have no row.
with

settled_items as (
    select * from {{ ref('int_settlement__settled_items') }}
    where settlement_kind = 'sale'
),

expected_items as (
    select * from {{ ref('int_settlement__expected_items') }}
),

settled as (
    select
        settled_items.channel as channel,
        settled_items.order_no as order_no,
        toUInt8(1) as is_settled,
        -(settled_items.commission_cents + settled_items.fulfilment_fee_cents + settled_items.other_fee_cents)
            / 100 * {{ fx_rate_to_base('fx', 'settled_items.currency') }} as fees_base
    from settled_items
    {{ fx_rate_joins('fx', 'settled_items.currency', 'settled_items.settled_date') }}
),

expected as (
    select
        expected_items.channel as channel,
        expected_items.order_no as order_no,
        (expected_items.commission_cents + expected_items.fulfilment_fee_cents)
            / 100 * {{ fx_rate_to_base('fx', 'expected_items.currency') }} as fees_base
    from expected_items
    {{ fx_rate_joins('fx', 'expected_items.currency', 'expected_items.sale_settlement_date') }}
),

-- one pass over both sides (a union and a group by, not a union distinct joined back to each side,
-- which evaluates both views twice)
both_sides as (
    select channel, order_no, toUInt8(1) as is_settled, fees_base as settled_fees_base,
        toFloat64(0) as expected_fees_base
    from settled

    union all

    select channel, order_no, toUInt8(0) as is_settled, toFloat64(0) as settled_fees_base,
        fees_base as expected_fees_base
    from expected
),

orders as (
    select
        channel,
        order_no,
        max(is_settled) = 1 as is_settled,
        sum(settled_fees_base) as settled_fees_base,
        sum(expected_fees_base) as expected_fees_base
    from both_sides
    group by channel, order_no
),

final as (
    select
        channel,
        order_no,
        cast(if(is_settled, 'settled', 'expected') as String) as fee_basis,
        toDecimal64(round(if(is_settled, settled_fees_base, expected_fees_base), 4), 4) as fees_base,
        toDecimal64(round(expected_fees_base, 4), 4) as expected_fees_base
    from orders
)

select * from final
