-- Anomaly scores per day and member, deduplicated (FINAL) so a re-run of the detector counts once.
select
    business_date,
    dimension,
    member,
    metric,
    observed,
    baseline_median,
    baseline_mad,
    baseline_days,
    score,
    direction,
    toBool(is_anomaly) as is_anomaly,
    threshold,
    detected_at
from {{ source('ops', 'anomaly_findings') }} final
