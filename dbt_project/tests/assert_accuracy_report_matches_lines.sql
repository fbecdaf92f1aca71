-- the daily report is a faithful summary of the lines: same line counts and variance totals per
-- day close x warehouse.
with

lines as (
    select
        snapshot_date,
        warehouse_id,
        count() as lines,
        countIf(is_accurate) as accurate_lines,
        sum(abs_variance_value) as abs_variance_value
    from {{ ref('fct_inventory_accuracy') }}
    group by snapshot_date, warehouse_id
),

report as (
    select * from {{ ref('rpt_inventory_accuracy_daily') }}
)

select lines.*, report.lines as report_lines
from lines
full outer join report
    on lines.snapshot_date = report.snapshot_date
    and lines.warehouse_id = report.warehouse_id
where lines.lines != report.lines
    or lines.accurate_lines != report.accurate_lines
    or lines.abs_variance_value != report.abs_variance_value
