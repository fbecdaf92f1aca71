-- How far each landing source lags: its last loaded business date against the newest date any source
-- has (a source days behind the others is late or stuck), and hours since its last load.
with per_source as (
    select source, max(business_date) as last_business_date, max(loaded_at) as last_loaded_at
    from {{ source('ingestion', '_files') }}
    group by source
)

select
    source,
    last_business_date,
    last_loaded_at,
    dateDiff('day', last_business_date, max(last_business_date) over ()) as days_behind_newest,
    dateDiff('hour', last_loaded_at, now64(3, 'UTC')) as hours_since_load
from per_source
