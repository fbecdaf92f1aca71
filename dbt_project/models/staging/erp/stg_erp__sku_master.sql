with

source as (
    {{ latest_version(source('erp', 'sku_master'), 'sku') }}
),

final as (
    select
        sku,
        name as sku_name,
        name_zh as sku_name_zh,
        category,
        weight_kg,
        length_cm,
        width_cm,
        height_cm,
        abc_class,
        unit_cost as standard_unit_cost,
        cost_currency as standard_cost_currency
    from source
)

select * from final
