"""Settings of the test worker in test_worker_bounds: the test settings, and a kind of
task with limits short enough for a test."""

from config.settings_test import *  # noqa: F403 - a settings module extends another
from config.settings_test import TASK_KINDS

TASK_KINDS = {"test": {"tasks": ("config.tests.tasks.outlive_limits",), "limits": (1, 2)}, **TASK_KINDS}
