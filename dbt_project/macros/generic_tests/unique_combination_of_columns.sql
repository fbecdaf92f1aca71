{#- Key combinations that occur more than once: the grain of a model, stated and checked. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count() as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having occurrences > 1
{% endtest %}
