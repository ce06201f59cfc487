"""Dependency-free metric logging for Hangar jobs (MLflow's REST API over urllib).

    import hangar_log
    hangar_log.log_metric("accuracy", 0.97)
    hangar_log.log_param("C", 1.0)
    hangar_log.set_tag("model", "logreg")

Uses MLFLOW_TRACKING_URI and MLFLOW_RUN_ID, which Hangar sets for every job, so the same calls
reach the same place as mlflow.log_metric & co. Never crashes the training script: when the
server cannot be reached it prints a warning and goes on.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

__all__ = ["log_metric", "log_metrics", "log_param", "log_params", "set_tag", "set_tags"]


def _post(path, body):
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    run_id = os.environ.get("MLFLOW_RUN_ID")
    if not uri or not run_id:
        print("hangar metric " + json.dumps(body), flush=True)
        return
    body = dict(body, run_id=run_id)
    request = urllib.request.Request(
        uri.rstrip("/") + "/api/2.0/mlflow/" + path,
        data=json.dumps(body).encode("utf-8"),
        headers={"content-type": "application/json"},
        method="POST",
    )
    token = os.environ.get("MLFLOW_TRACKING_TOKEN")
    if token:
        request.add_header("authorization", "Bearer " + token)
    for attempt in range(3):
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
            return
        except urllib.error.HTTPError as err:
            print("hangar_log: server refused %s: %s" % (path, err.read().decode("utf-8", "replace")), file=sys.stderr, flush=True)
            return
        except OSError as err:
            if attempt == 2:
                print("hangar_log: could not reach %s (%s); metric not recorded" % (uri, err), file=sys.stderr, flush=True)
            else:
                time.sleep(0.5 * (attempt + 1))


def _now_ms():
    return int(time.time() * 1000)


def log_metric(key, value, step=None):
    """Logs one value of a metric (a number); step defaults to 0 as in MLflow."""
    _post("runs/log-metric", {"key": key, "value": float(value), "timestamp": _now_ms(), "step": int(step or 0)})


def log_metrics(metrics, step=None):
    """Logs several metrics at once."""
    ts = _now_ms()
    _post("runs/log-batch", {"metrics": [{"key": k, "value": float(v), "timestamp": ts, "step": int(step or 0)} for k, v in metrics.items()]})


def log_param(key, value):
    """Logs a param (write-once, as in MLflow)."""
    _post("runs/log-parameter", {"key": key, "value": str(value)})


def log_params(params):
    _post("runs/log-batch", {"params": [{"key": k, "value": str(v)} for k, v in params.items()]})


def set_tag(key, value):
    _post("runs/set-tag", {"key": key, "value": str(value)})


def set_tags(tags):
    _post("runs/log-batch", {"tags": [{"key": k, "value": str(v)} for k, v in tags.items()]})
