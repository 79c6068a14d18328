# Customers worth a call: the high segment of customer_scores — a Python asset file, defined by
# this header (docs/pipes.md) and run with python3 (or $DAGX_PYTHON).
# @group: ml
# @ins: customer_scores
# @checks: not_null(customer_id)
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from dagster_pipes import open_dagster_pipes

with open_dagster_pipes() as context:
    dagx = context.extras["dagx"]
    scores = pa.concat_tables([pq.read_table(p) for p in dagx["inputs"]["customer_scores"]["paths"]])
    high = scores.filter(pc.equal(scores["segment"], "high")).select(["customer_id", "score"])
    pq.write_table(high, dagx["output"]["path"])
    context.report_asset_materialization(metadata={"customers": high.num_rows})
