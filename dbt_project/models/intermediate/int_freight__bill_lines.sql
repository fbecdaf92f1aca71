{{ config(materialized='table') }}

-- one row per bill line (the charges of one parcel on one bill), with the two duplicate checks that
-- need the whole history: a file re-sent byte for byte, and a parcel already billed on an earlier line.
-- a table, not a view: the freight audit and the unbilled accrual both read it, and as a view each
-- would regroup every charge and re-run the duplicate checks over all bills.
{%- set weekly = var('freight_weekly_carriers') %}
with

charges as (
    select * from {{ ref('stg_carriers__bill_lines') }}
),

lines as (
    select
        source_file,
        any(file_sha256) as file_sha256,
        carrier,
        any(bill_no) as bill_no,
        any(bill_date) as bill_date,
        bill_line_id,
        any(waybill_no) as waybill_no,
        any(ship_date) as ship_date,
        any(service) as service,
        any(zone) as zone,
        any(zone_key) as zone_key,
        any(currency) as currency,
        max(billed_weight_kg) as billed_weight_kg,
        sumIf(amount, charge_class = 'base') as billed_base,
        sumIf(amount, charge_class = 'fuel') as billed_fuel,
        sumIf(amount, charge_class = 'remote') as billed_remote,
        sumIf(amount, charge_class = 'oversize') as billed_oversize,
        sumIf(amount, charge_class = 'residential') as billed_residential,
        sumIf(amount, charge_class = 'other') as billed_other,
        arrayStringConcat(arraySort(groupUniqArrayIf(other_code, charge_class = 'other')), ',') as other_codes,
        sum(amount) as billed_total,
        min(row_number) as first_row_number,
        any(business_date) as business_date,
        max(loaded_at) as loaded_at
    from charges
    group by source_file, carrier, bill_line_id
),

-- the duplicate checks are window functions over the lines, layer on layer, so the charges are read
-- and grouped once (CTEs are inlined: a lines CTE joined back to its own aggregates is computed again
-- for every reference).
file_order as (
    select
        *,
        min(loaded_at) over (partition by source_file) as file_loaded_at,
        min(business_date) over (partition by source_file) as file_business_date
    from lines
),

-- copies of one file (same bytes) in delivery order: the first delivered is the original; every line of
-- a file shares its rank
file_copies as (
    select
        *,
        dense_rank() over (
            partition by file_sha256
            order by file_loaded_at, file_business_date, length(source_file), source_file
        ) as file_copy,
        first_value(source_file) over (
            partition by file_sha256
            order by file_loaded_at, file_business_date, length(source_file), source_file
            rows between unbounded preceding and unbounded following
        ) as first_file
    from file_order
),

with_files as (
    select
        * except (file_loaded_at, file_business_date, file_copy, first_file),
        file_copy > 1 as is_duplicate_file,
        if(file_copy > 1, first_file, '') as original_file
    from file_copies
),

final as (
    select
        *,
        -- a parcel's earlier billing among the lines of original files makes this one a copy
        not is_duplicate_file and row_number() over (
            partition by carrier, waybill_no, is_duplicate_file
            order by bill_date, source_file, first_row_number
        ) > 1 as is_duplicate_line,
        {#- the billing period follows the carrier's cadence; every line of a bill falls in one #}
        if(
            carrier in ('{{ weekly | join("', '") }}'),
            toMonday(ship_date),
            toStartOfMonth(ship_date)
        ) as billing_period_start,
        if(
            carrier in ('{{ weekly | join("', '") }}'),
            toMonday(ship_date) + 6,
            toLastDayOfMonth(ship_date)
        ) as billing_period_end
    from with_files
)

select * from final
