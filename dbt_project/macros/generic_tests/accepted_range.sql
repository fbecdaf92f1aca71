{#- Rows whose value lies outside [min_value, max_value] (either bound optional). -#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, where=none) %}
select *
from {{ model }}
where not (
    1 = 1
    {%- if min_value is not none %} and {{ column_name }} >= {{ min_value }}{% endif %}
    {%- if max_value is not none %} and {{ column_name }} <= {{ max_value }}{% endif %}
)
{%- if where %} and ({{ where }}){% endif %}
{% endtest %}
