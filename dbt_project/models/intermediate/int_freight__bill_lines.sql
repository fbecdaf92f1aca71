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

files as (
    select
        source_file,
        file_sha256,
        row_number() over (
            partition by file_sha256
            order by min_loaded_at, min_business_date, length(source_file), source_file
        ) as file_copy,
        first_value(source_file) over (
            partition by file_sha256
            order by min_loaded_at, min_business_date, length(source_file), source_file
            rows between unbounded preceding and unbounded following
        ) as original_file
    from (
        select source_file, any(file_sha256) as file_sha256, min(loaded_at) as min_loaded_at,
            min(business_date) as min_business_date
        from lines
        group by source_file
    )
),

with_files as (
    select
        lines.*,
        files.file_copy > 1 as is_duplicate_file,
        if(files.file_copy > 1, files.original_file, '') as original_file
    from lines
    inner join files on lines.source_file = files.source_file
),

originals as (
    select
        source_file,
        bill_line_id,
        row_number() over (
            partition by carrier, waybill_no
            order by bill_date, source_file, first_row_number
        ) as billing_of_parcel
    from with_files
    where not is_duplicate_file
),

final as (
    select
        with_files.*,
        not with_files.is_duplicate_file and originals.billing_of_parcel > 1 as is_duplicate_line,
        {#- the billing period follows the carrier's cadence; every line of a bill falls in one #}
        if(
            with_files.carrier in ('{{ weekly | join("', '") }}'),
            toMonday(with_files.ship_date),
            toStartOfMonth(with_files.ship_date)
        ) as billing_period_start,
        if(
            with_files.carrier in ('{{ weekly | join("', '") }}'),
            toMonday(with_files.ship_date) + 6,
            toLastDayOfMonth(with_files.ship_date)
        ) as billing_period_end
    from with_files
    left join originals
        on with_files.source_file = originals.source_file and with_files.bill_line_id = originals.bill_line_id
)

select * from final
