"""Test helpers that measure a real process: `measured(target, *args)` runs the function
`target` ("package.module:function") in a fresh Python process with the test settings
and returns its JSON-able result and the process's own peak resident memory (VmHWM from
/proc, Linux), so a memory bound is measured, not estimated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_RUNNER = """
import json, os, sys, importlib
import django
django.setup()
module, _, name = sys.argv[1].partition(":")
result = getattr(importlib.import_module(module), name)(*json.loads(sys.argv[2]))
peak = 0
with open("/proc/self/status") as status:
    for line in status:
        if line.startswith("VmHWM:"):
            peak = int(line.split()[1]) * 1024
print(json.dumps({"result": result, "peak_rss": peak}, default=str))
"""


def measured(target: str, *args, timeout: float = 600, env: dict | None = None) -> tuple[object, int]:
    """(result, peak RSS in bytes) of `target(*args)` run in its own process. Raises
    subprocess.CalledProcessError if it fails, TimeoutExpired past `timeout` seconds."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings_test", **(env or {})}
    completed = subprocess.run(  # noqa: S603 – the tests name the function
        [sys.executable, "-c", _RUNNER, target, json.dumps(args)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    return report["result"], report["peak_rss"]
