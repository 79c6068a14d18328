"""Dagster's side of bench/pipes.bench.ts: time PipesSubprocessClient.run() of the trivial script
inside a materialize(), and the same script spawned bare with a Pipes context, in this process.
Prints one JSON line {"orchestrated_ms": [...], "bare_ms": [...]}. Usage: python dagster_harness.py SCRIPT REPS
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from dagster import AssetExecutionContext, PipesSubprocessClient, asset, materialize
from dagster_pipes import encode_param

script, reps = sys.argv[1], int(sys.argv[2])
python = sys.executable
orchestrated = []


@asset
def trivial(context: AssetExecutionContext, pipes_subprocess_client: PipesSubprocessClient):
    t0 = time.perf_counter()
    result = pipes_subprocess_client.run(command=[python, script], context=context).get_materialize_result()
    orchestrated.append((time.perf_counter() - t0) * 1000)
    return result


def bare():
    with tempfile.TemporaryDirectory() as d:
        ctx = os.path.join(d, "context.json")
        msgs = os.path.join(d, "messages.jsonl")
        with open(ctx, "w") as f:
            json.dump({"asset_keys": ["trivial"], "code_version_by_asset_key": {"trivial": None}, "provenance_by_asset_key": {"trivial": None},
                       "partition_key": None, "partition_key_range": None, "partition_time_window": None, "run_id": "r", "job_name": None,
                       "retry_number": 0, "extras": {}}, f)
        env = {**os.environ, "DAGSTER_PIPES_CONTEXT": encode_param({"path": ctx}), "DAGSTER_PIPES_MESSAGES": encode_param({"path": msgs})}
        t0 = time.perf_counter()
        subprocess.run([python, script], env=env, check=True)
        return (time.perf_counter() - t0) * 1000


resources = {"pipes_subprocess_client": PipesSubprocessClient()}
materialize([trivial], resources=resources)  # warm-up, not counted
orchestrated.clear()
bare_ms = []
for _ in range(reps):
    bare_ms.append(bare())
    materialize([trivial], resources=resources)
print(json.dumps({"orchestrated_ms": orchestrated, "bare_ms": bare_ms}))
