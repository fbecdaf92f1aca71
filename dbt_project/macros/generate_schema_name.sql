{#- In ClickHouse a dbt schema is a database. The layers are named exactly staging, intermediate and
    marts (not dbt's default <target>_<custom>), because analysts and dashboards query them by name. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
