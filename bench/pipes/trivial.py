# The trivial Pipes script of bench/pipes.bench.ts: open, report, close.
from dagster_pipes import open_dagster_pipes

with open_dagster_pipes() as context:
    context.report_asset_materialization(metadata={"n": 1})
