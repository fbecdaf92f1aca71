-- Volume anomalies of some business dates (targets; one for a daily run, many for a backfill): every
-- (dimension, member, metric) series against the median and MAD of the same weekday over the trailing
-- weeks. Written by assets/anomaly.py into ops.anomaly_findings. Parameters: targets, weeks, orders_start, shipments_start (first day each source
-- has data: earlier weeks are not history, not zeros), event_days, min_history, threshold,
-- min_relative_spread, min_relative_spread_sum, sum_noise_factor, min_baseline.
-- Each staging view is scanned once (CTEs are inlined in ClickHouse, so nothing references a scan twice).
INSERT INTO ops.anomaly_findings
    (business_date, dimension, member, metric, observed, baseline_median, baseline_mad, baseline_days,
     score, direction, is_anomaly, threshold, detected_at)
WITH
    -- every target and the same weekday of each trailing week
    arrayDistinct(arrayFlatten(arrayMap(t -> arrayMap(k -> t - toIntervalDay(7 * k), range(0, {weeks:UInt16} + 1)),
                                        {targets:Array(Date)}))) AS days,
    ['orders', 'shipments'] AS counts,  -- the other metrics (order_amount, units) are sums over orders
series AS (
    -- points: (day, value, orders or parcels behind the value)
    SELECT dimension, member, metric, min(start) AS series_start, groupArray((day, value, n)) AS points
    FROM (
        SELECT key.1 AS dimension, key.2 AS member, day, start, metric, value, orders AS n
        FROM (
            -- channel exports do not name the shipping warehouse: warehouses are judged by their shipments
            SELECT channel, order_date AS day, {orders_start:Date} AS start,
                   toFloat64(count()) AS orders, sum(toFloat64(order_amount)) AS amount, sum(toFloat64(qty)) AS units
            FROM staging.stg_channels__orders WHERE has(days, order_date)
            GROUP BY channel, order_date
        )
        ARRAY JOIN [('channel', channel)] AS key
        ARRAY JOIN ['orders', 'order_amount', 'units'] AS metric, [orders, amount, units] AS value
        UNION ALL
        SELECT key.1, key.2, day, start, 'shipments', parcels, parcels
        FROM (
            SELECT warehouse_id, carrier, ship_date AS day, {shipments_start:Date} AS start,
                   toFloat64(count()) AS parcels
            FROM staging.stg_tms__shipments WHERE has(days, ship_date)
            GROUP BY warehouse_id, carrier, ship_date
        )
        ARRAY JOIN [('warehouse', warehouse_id), ('carrier', carrier)] AS key
    )
    GROUP BY dimension, member, metric
),
baselines AS (
    SELECT
        target, dimension, member, metric,
        -- every day of the target's window from the series' start; a day with no rows is a 0 (the deepest
        -- collapse)
        arrayFilter(d -> d >= series_start,
                    arrayMap(k -> target - toIntervalDay(7 * k), range(0, {weeks:UInt16} + 1))) AS window_days,
        arrayMap(d -> arraySum(arrayMap(p -> if(p.1 = d, p.2, 0), points)), window_days) AS values,
        arrayMap(d -> arraySum(arrayMap(p -> if(p.1 = d, p.3, 0), points)), window_days) AS volumes,
        if(has(window_days, target), values[indexOf(window_days, target)], NULL) AS observed,
        arrayFilter((v, d) -> d < target AND NOT has({event_days:Array(Date)}, d), values, window_days)
            AS history,
        length(history) AS history_days,
        arrayFilter((v, d) -> d < target AND NOT has({event_days:Array(Date)}, d), volumes, window_days)
            AS history_volumes,
        if(history_days > 0, arrayReduce('quantileExactInclusive(0.5)', history), NULL) AS median,
        if(history_days > 0,
           arrayReduce('quantileExactInclusive(0.5)', arrayMap(x -> abs(x - median), history)), NULL) AS mad,
        if(history_days > 0, arrayReduce('quantileExactInclusive(0.5)', history_volumes), NULL) AS median_volume
    FROM series
    ARRAY JOIN {targets:Array(Date)} AS target
),
scored AS (
    SELECT *,
        -- the spread never counts below: a share of the median; the sampling noise of a day of n orders
        -- (median / sqrt(n): Poisson for a count, times sum_noise_factor for a sum over orders, whose
        -- sizes vary); 1. So a flat history cannot make a normal wobble look extreme.
        greatest(1.4826 * mad,
                 if(has(counts, metric), {min_relative_spread:Float64}, {min_relative_spread_sum:Float64})
                     * abs(median),
                 if(has(counts, metric), 1.0, {sum_noise_factor:Float64}) * abs(median)
                     / sqrt(greatest(median_volume, 1)),
                 1.0) AS spread,
        if(history_days >= {min_history:UInt16}, (observed - median) / spread, NULL) AS z,
        -- a known event day, or a series too small to judge: scored and stored, never flagged
        has({event_days:Array(Date)}, target)
            OR median_volume < {min_baseline:Float64} AS exempt
    FROM baselines
    -- members active in the target's window only (as when the target is scored on its own)
    WHERE observed IS NOT NULL AND arrayExists(v -> v != 0, volumes)
)
SELECT
    target, dimension, member, metric, assumeNotNull(observed), median, mad, toUInt16(history_days),
    z,
    multiIf(z IS NULL OR exempt OR abs(z) < {threshold:Float64}, 'normal', z > 0, 'spike', 'collapse'),
    toUInt8(z IS NOT NULL AND NOT exempt AND abs(z) >= {threshold:Float64}),
    {threshold:Float64},
    now64(3, 'UTC')
FROM scored
