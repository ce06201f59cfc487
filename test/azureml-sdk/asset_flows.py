"""Asset flows through the unchanged Azure ML Python SDK v2, against a Hangar server.

Run with the variables of `hangar azureml env` set, from this folder. Needs the compute
`cpu-cluster` (job_flows.py makes it). Prints `FLOW <name> <seconds>` per flow and `OK` at the end.
Usage: python3 asset_flows.py <subscription> <resource-group> <workspace> <environment>
"""

import os
import sys
import tempfile
import time

from azure.ai.ml import Input, MLClient, command, load_component
from azure.ai.ml.constants import AssetTypes
from azure.ai.ml.entities import Data, Model
from azure.core.exceptions import ResourceNotFoundError
from azure.identity import DefaultAzureCredential

sub, rg, ws, environment = sys.argv[1:5]
ml_client = MLClient(DefaultAzureCredential(), sub, rg, ws)


def timed(name, fn):
    start = time.monotonic()
    fn()
    print(f"FLOW {name} {time.monotonic() - start:.2f}", flush=True)


def data_folder_and_file():
    try:
        ml_client.data.get("sdk-folder", version="1")
        raise AssertionError("sdk-folder exists before it was created")
    except ResourceNotFoundError:
        pass
    folder = ml_client.data.create_or_update(
        Data(name="sdk-folder", path="./assets/data", type=AssetTypes.URI_FOLDER, description="two csv files")
    )
    assert folder.version == "1", folder.version
    got = ml_client.data.get("sdk-folder", version="1")
    assert got.type == AssetTypes.URI_FOLDER and got.description == "two csv files", got
    # A second version of the same name: the SDK asks the container for nextVersion.
    again = ml_client.data.create_or_update(
        Data(name="sdk-folder", path="./assets/data", type=AssetTypes.URI_FOLDER, tags={"round": "2"})
    )
    assert again.version == "2", again.version
    latest = ml_client.data.get("sdk-folder", label="latest")
    assert latest.version == "2", latest.version
    one = ml_client.data.create_or_update(
        Data(name="sdk-file", path="./assets/data/a.csv", type=AssetTypes.URI_FILE, version="7")
    )
    assert one.version == "7", one.version
    assert ml_client.data.get("sdk-file", version="7").type == AssetTypes.URI_FILE
    names = [d.name for d in ml_client.data.list()]
    assert "sdk-folder" in names and "sdk-file" in names, names
    versions = sorted(d.version for d in ml_client.data.list(name="sdk-folder"))
    assert versions == ["1", "2"], versions


def job_reading_data():
    job = command(
        code="./assets/reader",
        command="python read.py --data ${{inputs.d}}",
        inputs={"d": Input(type=AssetTypes.URI_FOLDER, path="azureml:sdk-folder@latest")},
        environment=environment,
        compute="cpu-cluster",
        experiment_name="sdk-assets",
    )
    returned = ml_client.jobs.create_or_update(job)
    assert wait_ended(returned.name) == "Completed"
    # The job may end before a stream() would catch its lines: its log is read back by download.
    with tempfile.TemporaryDirectory() as out:
        ml_client.jobs.download(returned.name, download_path=out, all=True)
        with open(os.path.join(out, "artifacts", "user_logs", "std_log.txt")) as f:
            text = f.read()
    sys.stdout.write(text)
    assert "a.csv: 3 lines" in text and "b.csv: 2 lines" in text, text
    print("JOB", returned.name, flush=True)


def model():
    m = ml_client.models.create_or_update(
        Model(name="sdk-model", path="./assets/model", type=AssetTypes.CUSTOM_MODEL, description="weights")
    )
    assert m.version == "1", m.version
    got = ml_client.models.get("sdk-model", version="1")
    assert got.description == "weights", got
    assert [x.name for x in ml_client.models.list() if x.name == "sdk-model"] == ["sdk-model"]


def component():
    created = ml_client.components.create_or_update(load_component("./assets/component.yml"))
    assert created.name == "sdk_reader" and created.version == "1", created
    got = ml_client.components.get("sdk_reader", version="1")
    assert got.command == "python read.py --data ${{inputs.data}}", got.command
    assert list(got.inputs) == ["data"] and list(got.outputs) == ["report"], (got.inputs, got.outputs)
    # The registered component run as a command job, reading the data asset.
    node = got(data=Input(type=AssetTypes.URI_FOLDER, path="azureml:sdk-folder:1"))
    node.compute = "cpu-cluster"
    node.environment = got.environment
    returned = ml_client.jobs.create_or_update(node, experiment_name="sdk-assets")
    assert wait_ended(returned.name) == "Completed"


def wait_ended(name):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = ml_client.jobs.get(name).status
        if status in ("Completed", "Failed", "Canceled"):
            return status
        time.sleep(0.5)
    raise AssertionError(f"job {name} did not end")


flows = {"data": data_folder_and_file, "datajob": job_reading_data, "model": model, "component": component}
for flow in sys.argv[5:] or list(flows):
    timed(flow, flows[flow])
print("OK", flush=True)
