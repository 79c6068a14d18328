-- Customers per segment: SQL reading the Python asset's output by its key.
-- @group: reports
select segment, count(*) as customers, round(avg(score), 3) as avg_score
from customer_scores
group by segment
order by segment
