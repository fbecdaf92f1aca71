{#- Money in the base currency at the rate of a given day: the latest rate on or before that day
    (weekends, holidays), else the earliest rate known (days before the feed starts). The base
    currency itself is 1. Use fx_rate_joins(...) in the FROM clause, then fx_rate_to_base(...) in the
    SELECT, with the same alias and currency column. The joined columns carry fx_-prefixed names so
    they never clash with the model's own (currency, rate_date). -#}
{% macro fx_rate_joins(alias, currency_column, date_column) -%}
    asof left join (
        select currency as fx_currency, rate_date as fx_rate_date, rate_to_base as fx_rate
        from {{ ref('stg_fx__rates') }}
    ) as {{ alias }}
        on {{ currency_column }} = {{ alias }}.fx_currency and {{ date_column }} >= {{ alias }}.fx_rate_date
    left join (
        select currency as fx_currency, argMin(rate_to_base, rate_date) as fx_earliest_rate
        from {{ ref('stg_fx__rates') }}
        group by currency
    ) as {{ alias }}_earliest
        on {{ currency_column }} = {{ alias }}_earliest.fx_currency
{%- endmacro %}

{% macro fx_rate_to_base(alias, currency_column) -%}
    if(
        {{ currency_column }} = '{{ var("base_currency") }}',
        1.0,
        if(
            ifNull({{ alias }}.fx_rate_date, toDate(0)) = toDate(0),
            ifNull({{ alias }}_earliest.fx_earliest_rate, 0.0),
            ifNull({{ alias }}.fx_rate, 0.0)
        )
    )
{%- endmacro %}
