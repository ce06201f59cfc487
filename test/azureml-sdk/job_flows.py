"""Command-job flows through the unchanged Azure ML Python SDK v2, against a Hangar server.

Run with the variables of `hangar azureml env` set, from this folder (code="./src").
Prints `FLOW <name> <seconds>` per flow and `OK` at the end; any failure raises.
Usage: python3 job_flows.py <subscription> <resource-group> <workspace> <environment> <download-dir>
"""

import io
import os
import sys
import time
from contextlib import redirect_stdout

from azure.ai.ml import MLClient, command, load_compute, load_job
from azure.ai.ml.entities import AmlCompute, Environment
from azure.identity import DefaultAzureCredential

sub, rg, ws, environment, download_dir = sys.argv[1:6]
ml_client = MLClient(DefaultAzureCredential(), sub, rg, ws)


def timed(name, fn):
    start = time.monotonic()
    fn()
    print(f"FLOW {name} {time.monotonic() - start:.2f}", flush=True)


def cluster():
    ml_client.compute.begin_create_or_update(
        AmlCompute(name="cpu-cluster", size="STANDARD_DS3_v2", min_instances=0, max_instances=2)
    ).result()


state = {}


def submit_stream_get():
    job = command(
        code="./src",
        command="python train.py --n ${{inputs.n}}",
        inputs={"n": 3},
        environment=environment,
        compute="cpu-cluster",
        experiment_name="sdk-exp",
        display_name="sdk job",
    )
    returned = ml_client.jobs.create_or_update(job)
    assert returned.status in ("NotStarted", "Queued", "Preparing", "Starting", "Running"), returned.status
    assert returned.studio_url, "studio url"
    state["name"] = returned.name
    out = io.StringIO()
    with redirect_stdout(out):
        ml_client.jobs.stream(returned.name)
    text = out.getvalue()
    sys.stdout.write(text)
    assert "epoch 3 of 3" in text, text
    got = ml_client.jobs.get(returned.name)
    assert got.status == "Completed", got.status
    assert got.display_name == "sdk job", got.display_name


def download():
    ml_client.jobs.download(state["name"], download_path=download_dir, all=True)
    found = []
    for root, _dirs, files in os.walk(download_dir):
        found += [os.path.relpath(os.path.join(root, f), download_dir) for f in files]
    print("downloaded:", sorted(found), flush=True)
    assert any(f.endswith("outputs/result.txt") for f in found), found
    assert any(f.endswith("user_logs/std_log.txt") for f in found), found


def list_jobs():
    names = [j.name for j in ml_client.jobs.list() if j is not None]
    assert state["name"] in names, names


def cancel():
    job = command(
        code="./src",
        command="python train.py --n 1 --sleep 300",
        environment=environment,
        compute="cpu-cluster",
    )
    returned = ml_client.jobs.create_or_update(job)
    ml_client.jobs.begin_cancel(returned.name).result()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = ml_client.jobs.get(returned.name).status
        if status == "Canceled":
            return
        time.sleep(0.5)
    raise AssertionError(f"job {returned.name} is {status}, not Canceled")


def wait_completed(name):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = ml_client.jobs.get(name).status
        if status in ("Completed", "Failed", "Canceled"):
            assert status == "Completed", status
            return
        time.sleep(0.5)
    raise AssertionError(f"job {name} did not end")


def registered_environment():
    # An environment registered through the SDK, then a job naming it by @latest.
    env = ml_client.environments.create_or_update(
        Environment(name="sdk-env", image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04")
    )
    assert ml_client.environments.get("sdk-env", label="latest").version == env.version
    job = command(
        code="./src", command="python train.py --n 2", environment="sdk-env@latest", compute="cpu-cluster"
    )
    wait_completed(ml_client.jobs.create_or_update(job).name)


def yaml_files():
    # The compute and job YAML files az ml (and hangar) users keep, loaded by the SDK.
    created = ml_client.compute.begin_create_or_update(load_compute("compute.yml")).result()
    assert created.name == "yaml-cluster" and created.max_instances == 2, created
    job = load_job("job.yml")
    wait_completed(ml_client.jobs.create_or_update(job).name)
    ml_client.compute.begin_delete("yaml-cluster").result()


flows = {
    "cluster": cluster,
    "job": submit_stream_get,
    "download": download,
    "list": list_jobs,
    "cancel": cancel,
    "environment": registered_environment,
    "yaml": yaml_files,
}
for flow in sys.argv[6:] or list(flows):
    timed(flow, flows[flow])
print("OK", flush=True)
