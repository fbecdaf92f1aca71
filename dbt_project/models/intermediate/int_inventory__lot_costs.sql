-- one row per receipt lot: the date its age counts from and its landed unit cost in the base currency.
-- a lot keeps both wherever it goes (transfers move the lot, returns bring it back).
with

receipts as (
    select * from {{ ref('stg_erp__purchase_receipts') }}
),

final as (
    select
        lot_id,
        argMin(warehouse_id, receipt_date) as receiving_warehouse_id,
        argMin(sku, receipt_date) as sku,
        min(received_date) as received_date,
        toDecimal64(sum(landed_value_base) / greatest(sum(qty), 1), 4) as landed_unit_cost_base
    from receipts
    group by lot_id
)

select * from final
