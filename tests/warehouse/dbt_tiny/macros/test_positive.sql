{# A custom generic test: rows where the column is not strictly positive fail. #}
{% test positive(model, column_name) %}
select {{ column_name }} from {{ model }} where not ({{ column_name }} > 0)
{% endtest %}
