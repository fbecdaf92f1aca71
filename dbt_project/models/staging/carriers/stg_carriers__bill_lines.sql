-- one row per billed charge, every carrier and format, with the carrier's own charge code mapped to
-- the contract's charge classes. Byte-identical re-sent bill files are kept (each is evidence for the
-- duplicate-file flag); a file delivered again under the same name replaces its earlier delivery
-- whole (a line dropped from it disappears). Chosen per file, not per row: that needs only the files'
-- delivery columns, where a per-row dedupe sorts every charge ever billed on every run.
with

source as (
    {{ latest_version(source('carriers', 'carrier_bill_lines'), 'source_file', whole_file=true) }}
),

mapped as (
    select
        *,
        -- contract classes: freight/400 base, fuel/FUE, remote_area/DAS, oversize/AHC, residential/295;
        -- anything else (PEAK, PKS, SIG, address_correction, ...) is not a contract charge
        transform(
            lower(charge_code),
            ['freight', '400', 'base', 'fuel', 'fue', 'remote_area', 'remote', 'das', 'oversize', 'ahc',
             'residential', '295'],
            ['base', 'base', 'base', 'fuel', 'fuel', 'remote', 'remote', 'remote', 'oversize', 'oversize',
             'residential', 'residential'],
            'other'
        ) as charge_class
    from source
),

final as (
    select
        carrier,
        bill_no,
        bill_date,
        -- the line id finance quotes: EDI 210 rows are '<invoice>/<LX>/<L1>' per charge, one line is '<invoice>-<LX>'
        if(
            position(coalesce(bill_line_id, ''), '/') > 0,
            concat(splitByChar('/', bill_line_id)[1], '-', splitByChar('/', bill_line_id)[2]),
            coalesce(bill_line_id, concat(bill_no, '-', toString(row_number)))
        ) as bill_line_id,
        waybill_no,
        -- a bill that states no ship date bills the parcel in the period it is issued for
        coalesce(ship_date, bill_date) as ship_date,
        service,
        zone,
        replaceRegexpOne(coalesce(zone, ''), '^0+([0-9])', '\\1') as zone_key,
        charge_code,
        charge_class,
        if(charge_class = 'other', coalesce(nullIf(charge_description, ''), charge_code), '') as other_code,
        billed_weight_kg,
        amount,
        currency,
        dest_region,
        source_file,
        file_sha256,
        row_number,
        business_date,
        loaded_at
    from mapped
    where waybill_no is not null and not (charge_class = 'other' and amount = 0)
)

select * from final
