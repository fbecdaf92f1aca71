-- Singular test: the two incremental models must agree on total revenue.
select 1
from (select sum(amount) as total from {{ ref('orders') }}) o
cross join (select sum(amount) as total from {{ ref('daily_sales') }}) d
where o.total != d.total
