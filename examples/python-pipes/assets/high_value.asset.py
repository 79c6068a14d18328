# Customers worth a call: the high segment of customer_scores — a Python asset file, defined by
# this header (docs/pipes.md) and run with python3 (or `python` in dagx.config.ts, or $DAGX_PYTHON).
# @group: ml
# @ins: customer_scores
# @checks: not_null(customer_id)
# @check_specs: has_high_value(severity=warn)
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from dagster_pipes import open_dagster_pipes

# a local module: editing segment_rules.py makes high_value stale too
from segment_rules import CALL_SEGMENT

with open_dagster_pipes() as context:
    dagx = context.extras["dagx"]
    scores = pa.concat_tables([pq.read_table(p) for p in dagx["inputs"]["customer_scores"]["paths"]])
    high = scores.filter(pc.equal(scores["segment"], CALL_SEGMENT)).select(["customer_id", "score"])
    pq.write_table(high, dagx["output"]["path"])
    context.report_asset_materialization(metadata={"customers": high.num_rows})
    context.report_asset_check("has_high_value", passed=high.num_rows > 0, metadata={"customers": high.num_rows})
