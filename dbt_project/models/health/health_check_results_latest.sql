-- The latest verdict of every check per business date, asset and subject: a re-run supersedes.
select
    business_date,
    check_name,
    asset_key,
    subject,
    argMax(c.severity, c.checked_at) as severity,
    toBool(argMax(c.passed, c.checked_at)) as passed,
    argMax(c.value, c.checked_at) as value,
    argMax(c.threshold, c.checked_at) as threshold,
    argMax(c.message, c.checked_at) as message,
    max(c.checked_at) as checked_at
from {{ source('ops', 'check_results') }} as c
group by business_date, check_name, asset_key, subject
