-- what each settlement actually paid or deducted per channel order: the sale (principal, commission,
-- fulfilment and other fees) and the refund, each with the settlement date it appeared in and the
-- file and row of its principal (or refund), so a disputed amount points at its evidence.
-- a table covering the settlements delivered (and resolving order ids through the order exports)
-- since order_lookback_days before the run's window, like int_settlement__expected_items: the
-- reconciliation and the order margin both read it, and a nightly run must not regroup every
-- settlement ever paid.
{{ config(
    materialized='table',
    tags=['windowed'],
    query_settings={'additional_table_filters': raw_read_since(
        ['settlements', 'order_lines'], var('order_lookback_days'))},
) }}
with

transactions as (
    select * from {{ ref('stg_settlements__transactions') }}
    where order_no is not null and component != 'adjustment'
),

final as (
    select
        channel,
        order_no,
        currency,
        if(component = 'refund', 'refund', 'sale') as settlement_kind,
        min(settlement_date) as settled_date,
        toUInt32(uniqExact(settlement_date)) as settlements,
        sumIf(amount_cents, component = 'principal') as principal_cents,
        sumIf(amount_cents, component = 'commission') as commission_cents,
        sumIf(amount_cents, component = 'fulfilment_fee') as fulfilment_fee_cents,
        sumIf(amount_cents, component = 'other_fee') as other_fee_cents,
        sumIf(amount_cents, component = 'refund') as refund_cents,
        argMin(
            (transactions.source_file, transactions.row_number),
            (component not in ('principal', 'refund'), transactions.source_file, transactions.row_number)
        ) as evidence,
        evidence.1 as source_file,
        evidence.2 as source_row
    from transactions
    group by channel, order_no, currency, settlement_kind
)

select * from final
