select c.customer_id, c.name, c.country, coalesce(sum(o.amount), 0) as revenue
from {{ ref('stg_customers') }} c
left join {{ ref('stg_orders') }} o on o.customer_id = c.customer_id and o.status = 'paid'
group by all
