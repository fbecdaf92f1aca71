{#- A model's additional_table_filters (query_settings): every read of the given raw tables in its query
    skips the deliveries before `days` days ahead of the run's window (min_date), also the reads inside
    the staging views it selects from, under their dedupe, where a filter of the model's own cannot
    reach. ClickHouse applies the filter at the scan, so whole partitions are skipped. Correct for a raw
    table whose records are delivered on or after the business date they describe, when the model needs
    the records of its window and `days` before it; a full build's window starts in 2000, so it reads
    everything. Returned as a dict: dbt-clickhouse writes it into the SETTINGS clause as a map literal
    and clickhouse-connect sends it as one; the date is spelled with makeDate so that no quote needs
    escaping on either path. -#}
{% macro raw_read_since(tables, days=0) -%}
    {%- set start = modules.datetime.date.fromisoformat(var('min_date')) -%}
    {%- set bound = 'business_date >= makeDate(' ~ start.year ~ ', ' ~ start.month ~ ', ' ~ start.day ~ ') - ' ~ days -%}
    {%- set filters = {} -%}
    {%- for table in tables -%}
        {%- do filters.update({'raw.' ~ table: bound}) -%}
    {%- endfor -%}
    {%- do return(filters) -%}
{%- endmacro %}
