import { checkSpec, notNull, pipesAsset, rowCount } from "dagx";
import { orders } from "./orders.asset.ts";

/**
 * A Python asset through Dagster Pipes: scripts/score.py (pyarrow + the `dagster-pipes` client)
 * reads the orders' Parquet, scores each customer and writes Parquet; it also reports metadata and
 * a check. Needs `pip install -r requirements.txt` in the Python that `python3` names.
 */
export const customer_scores = pipesAsset({
  command: ["python3", "scripts/score.py"],
  ins: { orders },
  group: "ml",
  description: "Spend score per customer (0–1), from a Python script",
  // built-in checks run on the stored output; checkSpec() declares the check the script reports
  checks: [notNull("customer_id"), rowCount({ min: 1 }), checkSpec("scores_in_range", { blocking: true })],
  retry: { maxRetries: 1, delay: "1s" },
});
