"""Compute flows through the unchanged Azure ML Python SDK v2 (azure-ai-ml), against a Hangar server.

Run with the variables of `hangar azureml env` set. Prints one line `FLOW <name> <seconds>` per flow
and `OK` at the end; any failure raises (non-zero exit).
Usage: python3 compute_flows.py <subscription> <resource-group> <workspace> <ssh-public-key>
"""

import sys
import time

from azure.ai.ml import MLClient
from azure.ai.ml.entities import (
    AmlCompute,
    ComputeInstance,
    ComputeInstanceSshSettings,
    ComputeSchedules,
    ComputeStartStopSchedule,
    CronTrigger,
)
from azure.core.exceptions import ResourceNotFoundError
from azure.identity import DefaultAzureCredential

sub, rg, ws, ssh_key = sys.argv[1:5]
ml_client = MLClient(DefaultAzureCredential(), sub, rg, ws)


def timed(name, fn):
    start = time.monotonic()
    fn()
    print(f"FLOW {name} {time.monotonic() - start:.2f}", flush=True)


def credential():
    # DefaultAzureCredential unchanged: the managed-identity branch asks Hangar's endpoint.
    token = DefaultAzureCredential().get_token("https://management.azure.com/.default")
    assert token.token.count(".") == 2, "a JWT"
    workspace = ml_client.workspaces.get(ws)
    assert workspace.name == ws, workspace
    assert workspace.mlflow_tracking_uri, "mlflow tracking uri"


def instance():
    # As Azure's docs write it: idle shutdown, a stop schedule, SSH with a key.
    ci = ComputeInstance(
        name="sdk-ci",
        size="STANDARD_DS3_v2",
        idle_time_before_shutdown_minutes=30,
        ssh_public_access_enabled=True,
        ssh_settings=ComputeInstanceSshSettings(ssh_key_value=ssh_key),
        schedules=ComputeSchedules(
            compute_start_stop=[
                ComputeStartStopSchedule(
                    action="stop", trigger=CronTrigger(expression="0 18 * * *", time_zone="UTC")
                )
            ]
        ),
    )
    created = ml_client.compute.begin_create_or_update(ci).result()
    assert created.name == "sdk-ci" and created.type == "computeinstance", created
    got = ml_client.compute.get("sdk-ci")
    assert got.size.lower() == "standard_ds3_v2", got.size
    print("instance state after create:", got.state, flush=True)
    ml_client.compute.begin_stop("sdk-ci").result()
    print("instance state after stop:", ml_client.compute.get("sdk-ci").state, flush=True)
    assert ml_client.compute.get("sdk-ci").state == "Stopped"
    ml_client.compute.begin_start("sdk-ci").result()
    assert ml_client.compute.get("sdk-ci").state in ("Running", "JobRunning")
    ml_client.compute.begin_restart("sdk-ci").result()
    assert ml_client.compute.get("sdk-ci").state in ("Running", "JobRunning")
    ml_client.compute.begin_delete("sdk-ci").result()
    try:
        ml_client.compute.get("sdk-ci")
        raise AssertionError("sdk-ci still exists after delete")
    except ResourceNotFoundError:
        pass


def cluster():
    cc = AmlCompute(
        name="sdk-cluster",
        size="STANDARD_DS3_v2",
        min_instances=0,
        max_instances=2,
        idle_time_before_scale_down=120,
        tier="low_priority",
    )
    created = ml_client.compute.begin_create_or_update(cc).result()
    assert created.name == "sdk-cluster" and created.max_instances == 2, created
    names = [c.name for c in ml_client.compute.list()]
    assert "sdk-cluster" in names, names
    sizes = list(ml_client.compute.list_sizes())
    assert any(s.name.lower() == "standard_ds3_v2" for s in sizes), [s.name for s in sizes][:5]
    usages = list(ml_client.compute.list_usage())
    assert len(usages) > 0
    nodes = list(ml_client.compute.list_nodes("sdk-cluster"))
    assert nodes == [], nodes
    got = ml_client.compute.get("sdk-cluster")
    got.max_instances = 3
    updated = ml_client.compute.begin_update(got).result()
    assert updated.max_instances == 3, updated.max_instances
    assert ml_client.compute.get("sdk-cluster").max_instances == 3
    ml_client.compute.begin_delete("sdk-cluster").result()
    try:
        ml_client.compute.get("sdk-cluster")
        raise AssertionError("sdk-cluster still exists after delete")
    except ResourceNotFoundError:
        pass


flows = {"credential": credential, "cluster": cluster, "instance": instance}
for flow in sys.argv[5:] or list(flows):
    timed(flow, flows[flow])
print("OK", flush=True)
