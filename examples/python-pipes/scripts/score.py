"""Score customers by spend: a Dagster Pipes script run by dagx (examples/python-pipes).

Uses only the published `dagster-pipes` client and pyarrow. dagx hands the input's Parquet files
and the output path in `context.extras["dagx"]` (docs/pipes.md).
"""
from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
from dagster_pipes import open_dagster_pipes

with open_dagster_pipes() as context:
    dagx = context.extras["dagx"]
    orders = pa.concat_tables([pq.read_table(p) for p in dagx["inputs"]["orders"]["paths"]])
    context.log.info(f"scoring {orders.num_rows} orders")

    spend = defaultdict(float)
    for row in orders.to_pylist():
        if row["status"] == "paid":
            spend[row["customer_id"]] += float(row["amount"])
    top = max(spend.values())
    customers = sorted(spend)
    scores = [round(spend[c] / top, 4) for c in customers]
    segments = ["high" if s >= 0.5 else "low" for s in scores]

    pq.write_table(
        pa.table({"customer_id": customers, "spend": [spend[c] for c in customers], "score": scores, "segment": segments}),
        dagx["output"]["path"],
    )
    context.report_asset_materialization(
        metadata={
            "customers": len(customers),
            "top_spend": {"raw_value": top, "type": "float"},
            "model": {"raw_value": "spend / max(spend)", "type": "text"},
        }
    )
    context.report_asset_check("scores_in_range", passed=all(0 <= s <= 1 for s in scores))
