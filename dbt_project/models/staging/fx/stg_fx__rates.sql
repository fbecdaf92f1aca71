-- one rate per (rate_date, currency): units of the base currency per one unit of `currency`,
-- whichever direction the feed quotes it in, plus the base currency itself at 1.
with

source as (
    {{ latest_version(source('fx', 'fx_rates'), 'rate_date, base_currency, quote_currency') }}
),

to_base as (
    select
        rate_date,
        base_currency as currency,
        rate as rate_to_base
    from source
    where quote_currency = '{{ var("base_currency") }}'

    union all

    select
        rate_date,
        quote_currency as currency,
        1 / rate as rate_to_base
    from source
    where base_currency = '{{ var("base_currency") }}' and rate > 0
),

final as (
    select
        rate_date,
        cast(currency as String) as currency,
        toFloat64(rate_to_base) as rate_to_base,
        row_number() over (partition by rate_date, currency order by currency) as preference
    from to_base
)

select rate_date, currency, rate_to_base
from final
where preference = 1
