"""A registered pipeline component through the unchanged Azure ML Python SDK v2, against a Hangar server.

Run with the variables of `hangar azureml env` set, from this folder (cpu-cluster is created when
missing). Registers a `@dsl.pipeline` of two command steps as a component
(`components.create_or_update(pipeline_func)`), reads it back (`components.get`), submits it as a
job (a node of it, whose body carries the graph) and as `PipelineJob(component="azureml:<name>:<version>")`
(the id alone: the server runs the registered graph), and waits for each. Prints
`PIPELINE <node|id> <name>`, `FLOW <flow> <seconds>` and `OK`.
Usage: python3 pipeline_component_flows.py <subscription> <resource-group> <workspace> <environment>
"""

import sys
import time

from azure.ai.ml import Input, MLClient, Output, command, dsl
from azure.ai.ml.entities import AmlCompute, PipelineComponent, PipelineJob
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


@dsl.pipeline(name="prep_and_train", version="1", description="prep then train")
def prep_and_train(rows: int):
    first = prep(n=rows)
    second = train(data=first.outputs.data)
    return {"model": second.outputs.model}


registered = ml_client.components.create_or_update(prep_and_train)
assert registered.type == "pipeline", registered.type
assert registered.name == "prep_and_train" and registered.version == "1", (registered.name, registered.version)
got = ml_client.components.get("prep_and_train", version="1")
assert isinstance(got, PipelineComponent), type(got)
assert sorted(got.jobs) == ["first", "second"], sorted(got.jobs)
assert sorted(got.inputs) == ["rows"] and sorted(got.outputs) == ["model"], (got.inputs, got.outputs)
print(f"FLOW register {time.monotonic() - start:.2f}", flush=True)



def run(flow, job):
    start = time.monotonic()
    job.settings.default_compute = "cpu-cluster"
    returned = ml_client.jobs.create_or_update(job, experiment_name="sdk-pipeline-component")
    assert returned.type == "pipeline", returned.type
    print(f"PIPELINE {flow} {returned.name}", flush=True)
    deadline = time.monotonic() + 120
    status = returned.status
    while time.monotonic() < deadline:
        status = ml_client.jobs.get(returned.name).status
        if status in ("Completed", "Failed", "Canceled"):
            break
        time.sleep(0.5)
    assert status == "Completed", status
    steps = sorted(s.display_name for s in ml_client.jobs.list(parent_job_name=returned.name))
    assert steps == ["first", "second"], steps
    print(f"FLOW {flow} {time.monotonic() - start:.2f}", flush=True)


run("node", got(rows=5))
run("id", PipelineJob(component="azureml:prep_and_train:1", inputs={"rows": 4}))
print("OK", flush=True)
