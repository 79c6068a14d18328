-- SQL reading a TS asset that reads a SQL asset: SQL ← TS ← SQL.
-- @group: reports
select b.order_date, b.revenue, d.orders
from best_day b join marts.daily_revenue d using (order_date)
