"""Pipeline jobs through the unchanged Azure ML Python SDK v2, against a Hangar server.

Run with the variables of `hangar azureml env` set, from this folder (cpu-cluster is created when
missing). (1) `load_job("pipeline/pipeline.yml")` submitted, streamed and listed by parent;
(2) a `@dsl.pipeline` of two `command(...)` components. Prints `PIPELINE <flow> <name>`,
`FLOW <flow> <seconds>` and `OK`.
Usage: python3 pipeline_flows.py <subscription> <resource-group> <workspace> <environment>
"""

import io
import sys
import time
from contextlib import redirect_stdout

from azure.ai.ml import Input, MLClient, Output, command, dsl, load_job
from azure.ai.ml.entities import AmlCompute
from azure.core.exceptions import ResourceNotFoundError
from azure.identity import DefaultAzureCredential

sub, rg, ws, environment = sys.argv[1:5]
ml_client = MLClient(DefaultAzureCredential(), sub, rg, ws)
try:
    ml_client.compute.get("cpu-cluster")
except ResourceNotFoundError:
    ml_client.compute.begin_create_or_update(
        AmlCompute(name="cpu-cluster", size="STANDARD_DS3_v2", min_instances=0, max_instances=2)
    ).result()


def wait(name, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = ml_client.jobs.get(name)
        if got.status in ("Completed", "Failed", "Canceled"):
            return got
        time.sleep(0.5)
    raise AssertionError(f"{name} still {got.status}")


def check_steps(name, expected):
    steps = list(ml_client.jobs.list(parent_job_name=name))
    assert len(steps) == len(expected), steps
    by_name = {s.display_name: s for s in steps}
    assert sorted(by_name) == sorted(expected), sorted(by_name)
    for s in steps:
        assert s.status == "Completed", (s.name, s.status)
    return by_name


def yaml_flow():
    start = time.monotonic()
    job = load_job("pipeline/pipeline.yml")
    returned = ml_client.jobs.create_or_update(job)
    assert returned.type == "pipeline", returned.type
    print(f"PIPELINE yaml {returned.name}", flush=True)
    printed = io.StringIO()
    with redirect_stdout(printed):
        ml_client.jobs.stream(returned.name)
    got = wait(returned.name)
    assert got.status == "Completed", got.status
    assert got.type == "pipeline", got.type
    assert sorted(got.jobs) == ["prep", "train"], sorted(got.jobs)
    assert got.settings.continue_on_step_failure is False, got.settings
    # The workspace list shows the pipeline, not its steps (as Azure).
    listed = [j.name for j in ml_client.jobs.list() if j is not None]
    assert returned.name in listed and f"{returned.name}_prep" not in listed, listed
    steps = check_steps(returned.name, ["prep", "train"])
    assert steps["train"].compute == "cpu-cluster", steps["train"].compute
    print(f"FLOW yaml {time.monotonic() - start:.2f}", flush=True)


def dsl_flow():
    start = time.monotonic()
    prep = command(
        code="./pipeline/src",
        command="python steps.py prep ${{outputs.data}} ${{inputs.n}}",
        inputs={"n": Input(type="integer")},
        outputs={"data": Output(type="uri_folder")},
        environment=environment,
    )
    train = command(
        code="./pipeline/src",
        command="python steps.py train ${{inputs.data}} ${{outputs.model}}",
        inputs={"data": Input(type="uri_folder")},
        outputs={"model": Output(type="uri_folder")},
        environment=environment,
    )

    @dsl.pipeline(compute="cpu-cluster", experiment_name="sdk-dsl-pipeline")
    def two_steps(rows: int):
        first = prep(n=rows)
        second = train(data=first.outputs.data)
        return {"model": second.outputs.model}

    returned = ml_client.jobs.create_or_update(two_steps(rows=3))
    print(f"PIPELINE dsl {returned.name}", flush=True)
    got = wait(returned.name)
    assert got.status == "Completed", got.status
    check_steps(returned.name, ["first", "second"])
    print(f"FLOW dsl {time.monotonic() - start:.2f}", flush=True)


yaml_flow()
dsl_flow()
print("OK", flush=True)
