"""Lambda's Python runtime, as far as a handler can tell: the package alone on the path of a clean
interpreter of Lambda's Python, the handler named as the template names it, warm invocations in one
process, each event given as parsed JSON with a context object, each result serialized as JSON.

    invoke(package_root, "app.app", [event, ...], env={...}, python="/path/to/python3.13")

The interpreter runs isolated (`-I`: no PYTHON* variables, no user site, not the caller's folder) and
without `site` (`-S`: no site-packages at all), so a module, a native wheel or a data file that the
package lacks fails here as it would in AWS. Each invocation's result is what Lambda would return:
the handler's JSON, or `{"errorType": ..., "errorMessage": ...}` for an exception.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

# Runs inside the clean interpreter: the standard library and the package, nothing else.
_BOOTSTRAP = r"""
import importlib, json, sys, time, traceback, uuid

request = json.load(sys.stdin)
sys.path.insert(0, request["root"])


class Context:
    def __init__(self, name, memory, timeout_s):
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:eu-central-1:123456789012:function:{name}"
        self.memory_limit_in_mb = memory
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "2026/12/01/[$LATEST]0123456789abcdef"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


module_name, _, attribute = request["handler"].rpartition(".")
results = []
try:
    handler = getattr(importlib.import_module(module_name), attribute)
except Exception as exc:  # Lambda: Runtime.ImportModuleError / Runtime.HandlerNotFound
    traceback.print_exc()
    results = [{"errorType": "Runtime.ImportModuleError", "errorMessage": f"{type(exc).__name__}: {exc}"}]
else:
    for event in request["events"]:
        try:
            context = Context(request["function"], request["memory"], request["timeout"])
            results.append(json.loads(json.dumps(handler(event, context))))
        except Exception as exc:
            traceback.print_exc()
            results.append({"errorType": type(exc).__name__, "errorMessage": str(exc)})
with open(request["results"], "w") as out:
    json.dump({"results": results, "path": sys.path, "modules": sorted(sys.modules)}, out)
"""


def unpack(deployment_zip: Path, into: Path) -> Path:
    """The package as Lambda lays it out in /var/task."""
    shutil.rmtree(into, ignore_errors=True)
    with zipfile.ZipFile(deployment_zip) as archive:
        archive.extractall(into)
    return into


def invoke(
    root: Path,
    handler: str,
    events: list[Any],
    *,
    env: dict[str, str],
    python: str,
    function: str = "function",
    memory: int = 512,
    timeout_s: int = 30,
    log: Path | None = None,
) -> dict[str, Any]:
    """{"results": [one per event], "path": the interpreter's sys.path, "modules": what it loaded}."""
    with tempfile.TemporaryDirectory() as work:
        results = Path(work) / "results.json"
        request = {
            "root": str(root),
            "handler": handler,
            "events": events,
            "function": function,
            "memory": memory,
            "timeout": timeout_s,
            "results": str(results),
        }
        lambda_env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(root),
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory),
            "AWS_REGION": "eu-central-1",
            "AWS_DEFAULT_REGION": "eu-central-1",
            **env,
        }
        output = log.open("a") if log else subprocess.DEVNULL
        try:
            finished = subprocess.run(
                [python, "-I", "-S", "-c", _BOOTSTRAP],
                input=json.dumps(request),
                text=True,
                env=lambda_env,
                cwd=work,  # Lambda's working directory is the task root; nothing of ours is here
                stdout=output,
                stderr=output,
                timeout=timeout_s * max(1, len(events)) + 60,
                check=False,
            )
        finally:
            if log:
                output.close()  # type: ignore[union-attr]
        if not results.exists():
            raise RuntimeError(f"{handler}: the runtime exited {finished.returncode} without results")
        answer: dict[str, Any] = json.loads(results.read_text())
        return answer


def lambda_python() -> str | None:
    """A Python 3.13 (Lambda's): DEPLOY_PYTHON, python3.13 on PATH, or pyenv's latest 3.13."""
    candidates = [os.environ.get("DEPLOY_PYTHON"), shutil.which("python3.13")]
    pyenv = shutil.which("pyenv")
    if pyenv:
        found = subprocess.run([pyenv, "latest", "3.13"], capture_output=True, text=True, check=False)
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        if found.returncode == 0 and root.returncode == 0:
            candidates.append(f"{root.stdout.strip()}/versions/{found.stdout.strip()}/bin/python3")
    for candidate in candidates:
        if not candidate or not os.path.exists(candidate):
            continue
        check = [candidate, "-I", "-S", "-c", "import sys; assert sys.version_info[:2] == (3, 13)"]
        if subprocess.run(check, capture_output=True, check=False).returncode == 0:
            return candidate
    return None


if __name__ == "__main__":
    print(lambda_python() or "no Python 3.13", file=sys.stderr)
