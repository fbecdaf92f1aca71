-- Quarantined rows per day, source, target table and first failing field, with one example reason:
-- the full reason text names every problem of a row, so grouping on it would scatter one fault.
select
    business_date,
    source,
    target_table,
    field,
    count() as quarantined_rows,
    uniqExact(source_file) as files,
    any(reason) as example_reason
from {{ source('ingestion', 'quarantine') }}
group by business_date, source, target_table, field
