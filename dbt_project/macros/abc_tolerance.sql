{#- The allowed |physical - book| share for an ABC class, exact (Decimal) so that a variance equal to
    the tolerance is within it: 0.07 * 100 in floating point is 7.000000000000001. -#}
{% macro abc_tolerance(abc_class_column) -%}
    {%- set tolerances = var('abc_tolerance') -%}
    multiIf(
        {%- for abc, share in tolerances.items() %}
        {{ abc_class_column }} = '{{ abc }}', toDecimal64('{{ share }}', 4),
        {%- endfor %}
        toDecimal64('{{ var("unclassified_tolerance") }}', 4)
    )
{%- endmacro %}
