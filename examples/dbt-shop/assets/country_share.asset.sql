-- A SQL asset downstream of the dbt table model country_revenue: the table name is the dbt model's,
-- the dependency is inferred, and the step reads the relation in dbt's DuckDB file (read-only).
-- @group: reports
-- @description: Each country's share of paid revenue
select country, revenue, round(revenue / sum(revenue) over (), 3) as share
from country_revenue
order by revenue desc
