-- Paid revenue per day, from the raw orders (a TS asset) and the customers CSV.
-- @key: marts/daily_revenue
-- @group: marts
-- @description: Paid revenue and order count per day
-- @owners: team:data
-- @checks: not_null(order_date), unique(order_date), row_count(min=1)
-- @freshness: max_lag=24h
with paid as (
  select * from orders where status = 'paid'
)
select order_date, round(sum(amount), 2) as revenue, count(*) as orders
from paid
group by order_date
order by order_date;
