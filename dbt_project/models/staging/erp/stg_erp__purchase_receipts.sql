-- one row per receipt lot with its landed cost in the base currency, converted at the rate of the
-- receipt (ERP booking) date, or the latest rate before it (weekends, opening balances).
with

source as (
    {{ latest_version(source('erp', 'purchase_receipts'), 'receipt_no, lot_id') }}
),

fx_rates as (
    select * from {{ ref('stg_fx__rates') }}
),

receipts as (
    select
        receipt_no,
        receipt_type,
        po_no,
        supplier,
        warehouse_id,
        sku,
        lot_id,
        qty,
        unit_cost,
        coalesce(inbound_freight, 0) as inbound_freight,
        coalesce(duties, 0) as duties,
        currency,
        receipt_date,
        coalesce(received_date, receipt_date) as received_date
    from source
),

earliest_rates as (
    select currency, argMin(rate_to_base, rate_date) as rate_to_base
    from fx_rates
    group by currency
),

converted as (
    select
        receipts.receipt_no as receipt_no,
        receipts.receipt_type as receipt_type,
        receipts.po_no as po_no,
        receipts.supplier as supplier,
        receipts.warehouse_id as warehouse_id,
        receipts.sku as sku,
        receipts.lot_id as lot_id,
        receipts.qty as qty,
        receipts.unit_cost as unit_cost,
        receipts.inbound_freight as inbound_freight,
        receipts.duties as duties,
        receipts.currency as currency,
        receipts.receipt_date as receipt_date,
        receipts.received_date as received_date,
        if(
            receipts.currency = '{{ var("base_currency") }}',
            1.0,
            if(as_of.rate_date = toDate(0), earliest.rate_to_base, as_of.rate_to_base)
        ) as fx_rate_to_base
    from receipts
    asof left join fx_rates as as_of
        on receipts.currency = as_of.currency and receipts.receipt_date >= as_of.rate_date
    left join earliest_rates as earliest
        on receipts.currency = earliest.currency
),

final as (
    select
        receipt_no,
        receipt_type,
        po_no,
        supplier,
        warehouse_id,
        sku,
        lot_id,
        qty,
        unit_cost,
        inbound_freight,
        duties,
        currency,
        receipt_date,
        received_date,
        fx_rate_to_base,
        toDecimal64(
            (toFloat64(unit_cost) * qty + toFloat64(inbound_freight) + toFloat64(duties)) * fx_rate_to_base,
            4
        ) as landed_value_base,
        toDecimal64(
            if(qty = 0, 0, (toFloat64(unit_cost) * qty + toFloat64(inbound_freight) + toFloat64(duties))
                * fx_rate_to_base / qty),
            4
        ) as landed_unit_cost_base
    from converted
)

select * from final
