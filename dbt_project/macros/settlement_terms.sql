{#- Channel settlement terms (var settlement_terms) as SQL expressions over a channel column, so the
    contract lives in one place (dbt_project.yml) and every model applies it the same way. -#}
{% macro settlement_term(channel_column, term, default) -%}
    {%- set terms = var('settlement_terms') -%}
    multiIf(
        {%- for channel, t in terms.items() %}
        {{ channel_column }} = '{{ channel }}', {{ t[term] }},
        {%- endfor %}
        {{ default }}
    )
{%- endmacro %}

{#- The date of the settlement that pays money falling due on `day`: the due day itself for daily
    payouts, else the closing date (period start + period_days) of the fixed period containing it. -#}
{% macro settlement_date_for(channel_column, day) -%}
    {%- set terms = var('settlement_terms') -%}
    multiIf(
        {%- for channel, t in terms.items() %}
        {%- if t['period_days'] | int > 0 %}
        {{ channel_column }} = '{{ channel }}',
            {{ day }} - toIntervalDay(
                ((toInt64(dateDiff('day', toDate('{{ t["period_anchor"] }}'), {{ day }})) % {{ t['period_days'] }})
                    + {{ t['period_days'] }}) % {{ t['period_days'] }}
            ) + toIntervalDay({{ t['period_days'] }}),
        {%- endif %}
        {%- endfor %}
        {{ day }}
    )
{%- endmacro %}

{#- Contracted per-unit fulfilment fee in cents by unit price band (var settlement_fulfilment_fee_bands);
    0 for channels that charge none. -#}
{% macro fulfilment_fee_cents(channel_column, unit_price_column) -%}
    {%- set bands = var('settlement_fulfilment_fee_bands') -%}
    multiIf(
        {%- for channel, channel_bands in bands.items() %}
        {%- for upper, fee in channel_bands %}
        {%- if upper is none %}
        {{ channel_column }} = '{{ channel }}', toInt64({{ (fee * 100) | round | int }}),
        {%- else %}
        {{ channel_column }} = '{{ channel }}' and {{ unit_price_column }} < {{ upper }},
            toInt64({{ (fee * 100) | round | int }}),
        {%- endif %}
        {%- endfor %}
        {%- endfor %}
        toInt64(0)
    )
{%- endmacro %}

{#- Commission in cents on a non-negative amount in cents, rounded half up to the cent (integer
    arithmetic, as the contract reads "rate x amount, rounded to the cent"). -#}
{% macro commission_cents(amount_cents, basis_points) -%}
    intDiv({{ amount_cents }} * {{ basis_points }} + 5000, 10000)
{%- endmacro %}
