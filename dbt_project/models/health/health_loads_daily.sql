-- One row per landing source and business date: what the loader saw and did, from its file registry.
select
    business_date,
    source,
    count() as files,
    countIf(status = 'loaded') as files_loaded,
    countIf(status = 'quarantined_rows') as files_with_quarantined_rows,
    countIf(status in ('unreadable', 'unmapped')) as files_rejected,
    countIf(ifNull(duplicate_of, '') != '') as duplicate_files,
    sum(f.rows_read) as rows_read,
    sum(f.rows_loaded) as rows_loaded,
    sum(f.rows_quarantined) as rows_quarantined,
    if(sum(f.rows_read) = 0, 0, sum(f.rows_quarantined) / sum(f.rows_read)) as quarantine_rate,
    max(f.loaded_at) as last_loaded_at
from {{ source('ingestion', '_files') }} as f
group by business_date, source
