-- a table model (marts are tables): dagx reads it from dbt's DuckDB file, attached read-only
select c.country, count(o.order_id) as paid_orders, coalesce(sum(o.amount), 0) as revenue
from {{ ref('stg_customers') }} c
left join {{ ref('stg_orders') }} o on o.customer_id = c.customer_id and o.status = 'paid'
group by all
