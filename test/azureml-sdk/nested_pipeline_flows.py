"""A `@dsl.pipeline` calling another `@dsl.pipeline` (nested), through the unchanged Azure ML Python SDK v2.

Run with the variables of `hangar azureml env` set, from this folder (cpu-cluster is created when
missing). The SDK registers the inner pipeline as an anonymous pipeline component and submits the
outer pipeline with a `type: pipeline` node naming it; Hangar expands that node into its steps
(`sub_first`, `sub_second`), the inner pipeline's output feeding the outer step `scored`.
Prints `PIPELINE nested <name>`, `FLOW nested <seconds>` and `OK`.
Usage: python3 nested_pipeline_flows.py <subscription> <resource-group> <workspace> <environment>
"""

import sys
import time

from azure.ai.ml import Input, MLClient, Output, command, dsl
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
report = command(
    command="cat ${{inputs.model}}/model.txt",
    inputs={"model": Input(type="uri_folder")},
    environment=environment,
)


@dsl.pipeline(description="prep then train")
def prep_then_train(rows: int):
    first = prep(n=rows)
    second = train(data=first.outputs.data)
    return {"model": second.outputs.model}


@dsl.pipeline(default_compute="cpu-cluster", description="a pipeline calling a pipeline")
def outer(rows: int):
    sub = prep_then_train(rows=rows)
    scored = report(model=sub.outputs.model)  # noqa: F841 (the node's name is the variable's)


start = time.monotonic()
returned = ml_client.jobs.create_or_update(outer(rows=3), experiment_name="sdk-nested-pipeline")
assert returned.type == "pipeline", returned.type
print(f"PIPELINE nested {returned.name}", flush=True)
deadline = time.monotonic() + 120
status = returned.status
while time.monotonic() < deadline:
    status = ml_client.jobs.get(returned.name).status
    if status in ("Completed", "Failed", "Canceled"):
        break
    time.sleep(0.5)
assert status == "Completed", status
steps = sorted(s.display_name for s in ml_client.jobs.list(parent_job_name=returned.name))
assert steps == ["scored", "sub_first", "sub_second"], steps
print(f"FLOW nested {time.monotonic() - start:.2f}", flush=True)
print("OK", flush=True)
