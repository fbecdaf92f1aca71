{#- The warehouse a channel's goods usually leave from (var channel_default_warehouse), '' if unknown. -#}
{% macro channel_warehouse(channel_column) -%}
    {%- set defaults = var('channel_default_warehouse') -%}
    multiIf(
        {%- for channel, warehouse in defaults.items() %}
        {{ channel_column }} = '{{ channel }}', '{{ warehouse }}',
        {%- endfor %}
        ''
    )
{%- endmacro %}
