"""A sweep job through the unchanged Azure ML Python SDK v2, against a Hangar server.

Run with the variables of `hangar azureml env` set, from this folder (code="./src"), after
compute_flows/job_flows created cpu-cluster. Prints `SWEEP <name>`, `FLOW sweep <seconds>` and `OK`.
Usage: python3 sweep_flows.py <subscription> <resource-group> <workspace> <environment>
"""

import sys
import time

from azure.ai.ml import MLClient, command
from azure.ai.ml.sweep import Choice, Uniform
from azure.identity import DefaultAzureCredential

sub, rg, ws, environment = sys.argv[1:5]
ml_client = MLClient(DefaultAzureCredential(), sub, rg, ws)

start = time.monotonic()
job = command(
    code="./src",
    command="python train.py --n ${{inputs.n}} --sleep ${{inputs.pause}}",
    inputs={"n": Choice([1, 2, 3]), "pause": Uniform(0.0, 0.1)},
    environment=environment,
    compute="cpu-cluster",
    experiment_name="sdk-sweep",
)
sweep = job.sweep(compute="cpu-cluster", sampling_algorithm="random", primary_metric="acc", goal="Maximize")
sweep.set_limits(max_total_trials=2, max_concurrent_trials=1, timeout=600)
returned = ml_client.jobs.create_or_update(sweep)
assert returned.type == "sweep", returned.type
print(f"SWEEP {returned.name}", flush=True)
deadline = time.monotonic() + 180
status = returned.status
while time.monotonic() < deadline:
    got = ml_client.jobs.get(returned.name)
    status = got.status
    if status in ("Completed", "Failed", "Canceled"):
        break
    time.sleep(0.5)
assert status == "Completed", status
assert got.type == "sweep", got.type
assert got.limits.max_total_trials == 2 and got.limits.max_concurrent_trials == 1, got.limits
assert got.objective.primary_metric == "acc", got.objective
assert sorted(got.search_space) == ["n", "pause"], got.search_space
# As Azure: jobs.list() holds the sweep, not its trials; parent_job_name lists the trials.
listed = [j.name for j in ml_client.jobs.list() if j is not None]
assert returned.name in listed, listed
assert not [n for n in listed if n.startswith(f"{returned.name}_trial")], listed
trials = [t.name for t in ml_client.jobs.list(parent_job_name=returned.name)]
assert sorted(trials) == [f"{returned.name}_trial0", f"{returned.name}_trial1"], trials
print(f"FLOW sweep {time.monotonic() - start:.2f}", flush=True)
print("OK", flush=True)
