{#- The half-open business-date window of the daily models (vars min_date inclusive, max_date
    exclusive). Applied on full builds too, so one run of a window and a day-by-day sequence of runs
    compute each date from the same inputs. -#}
{% macro business_window(column) -%}
    {{ column }} >= toDate('{{ var("min_date") }}') and {{ column }} < toDate('{{ var("max_date") }}')
{%- endmacro %}

{% macro window_start() -%}toDate('{{ var("min_date") }}'){%- endmacro %}

{% macro window_end() -%}toDate('{{ var("max_date") }}'){%- endmacro %}
