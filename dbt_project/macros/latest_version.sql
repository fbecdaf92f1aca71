{#- Keep the latest delivered version of a re-delivered record or file. Raw keeps every delivery
    (lineage: loaded_at, business_date, source_file); `partition_by` names what one version replaces:
    a business key for row-level records, or the key a whole file covers (a snapshot's date and
    warehouse), so a row missing from a re-delivered snapshot file disappears instead of lingering.
    The latest business date wins, then the latest load: re-loading an older day's file (a re-run or
    backfill of that date) must not let its older version of a record override a later day's. -#}
{% macro latest_version(relation, partition_by, whole_file=false) -%}
    {%- if whole_file -%}
    select *
    from {{ relation }}
    where ({{ partition_by }}, loaded_at, business_date, source_file) in (
        with latest as (
            select
                {{ partition_by }},
                argMax(
                    (loaded_at, business_date, source_file), (business_date, loaded_at, source_file)
                ) as delivery
            from {{ relation }}
            group by {{ partition_by }}
        )
        select {{ partition_by }}, delivery.1, delivery.2, delivery.3
        from latest
    )
    {%- else -%}
    select *
    from {{ relation }}
    order by business_date desc, loaded_at desc, source_file desc, row_number desc
    limit 1 by {{ partition_by }}
    {%- endif -%}
{%- endmacro %}
