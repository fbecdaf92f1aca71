-- book and physical stock side by side per day close x warehouse x sku x lot. built as a union and
-- a group by rather than a full outer join: a lot only one side knows (goods arrived before their
-- document, or a document without goods) keeps its keys and gets zero on the other side.
with

book as (
    select * from {{ ref('stg_erp__inventory_snapshot') }}
),

physical as (
    select * from {{ ref('stg_wms__inventory_snapshot') }}
),

sides as (
    select
        snapshot_date, warehouse_id, sku, lot_id,
        toInt64(book_qty) as book_qty,
        toInt64(0) as physical_qty,
        toInt64(0) as on_hand_qty,
        toInt64(0) as damaged_qty,
        book_unit_cost,
        abc_class,
        1 as book_lines,
        0 as physical_lines
    from book

    union all

    select
        snapshot_date, warehouse_id, sku, lot_id,
        toInt64(0) as book_qty,
        toInt64(usable_qty) as physical_qty,
        toInt64(on_hand) as on_hand_qty,
        toInt64(damaged) as damaged_qty,
        cast(null as Nullable(Decimal(18, 4))) as book_unit_cost,
        cast(null as Nullable(String)) as abc_class,
        0 as book_lines,
        1 as physical_lines
    from physical
),

final as (
    select
        snapshot_date,
        warehouse_id,
        sku,
        lot_id,
        sum(book_qty) as book_qty,
        sum(physical_qty) as physical_qty,
        sum(on_hand_qty) as on_hand_qty,
        sum(damaged_qty) as damaged_qty,
        max(book_unit_cost) as book_unit_cost,
        max(abc_class) as book_abc_class,
        sum(book_lines) > 0 as in_book,
        sum(physical_lines) > 0 as in_physical
    from sides
    group by snapshot_date, warehouse_id, sku, lot_id
)

select * from final
