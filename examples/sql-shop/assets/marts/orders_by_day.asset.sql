-- One day of orders: partition bounds are bound parameters, never spliced.
-- @key: marts/orders_by_day
-- @group: marts
-- @partitions: daily(start=2024-01-01, end=2024-01-08)
select order_id, customer_id, amount, $partition_key as day
from orders
where order_date >= $partition_start::date and order_date < $partition_end::date
