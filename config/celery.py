"""The Celery app. Run workers and the scheduler next to the web server:

    celery -A config worker --loglevel=INFO --concurrency=2 -Q celery
    celery -A config worker --loglevel=INFO --concurrency=2 -Q heavy -n heavy@%h
    celery -A config beat --loglevel=INFO

Two queues: "celery" for the quick work (mail, link checks, scores, the scheduled
bookkeeping) and "heavy" for the long work (validating and converting uploaded files,
inventory imports, harvests, batch link checks, the audit chain walk; settings.TASK_KINDS
says which). A worker per queue keeps a mail from waiting behind a conversion; one worker
without -Q serves both (fine for a small installation).

Every worker is bounded, with the prefork pool (the default; `--pool=solo` enforces
neither limit):
- CELERY_WORKER_MAX_MEMORY_PER_CHILD (KiB, default 400 MB): a worker process whose peak
  resident memory passed it is replaced once its task is done;
- CELERY_WORKER_MAX_TASKS_PER_CHILD (default 1000): a worker process is replaced after so
  many tasks;
- soft and hard time limits per kind of task (settings.TASK_KINDS, TASK_LIMITS_<KIND> in the
  environment as "soft,hard" seconds; others CELERY_TASK_SOFT_TIME_LIMIT/CELERY_TASK_TIME_LIMIT).
  A task past its hard limit is killed with its process; the worker starts a new one.

Settings come from CELERY_* in config.settings; without CELERY_BROKER_URL tasks run
eagerly in the web process. Tasks take ids, are enqueued on commit (`delay_on_commit`)
and are safe to run twice: with acks_late a task whose worker dies is delivered again.
"""

import os
from fnmatch import fnmatchcase

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("stadtdaten")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def task_kind(name: str) -> str | None:
    """The kind of the task `name` in settings.TASK_KINDS (the first that names it), or None."""
    from django.conf import settings

    for kind, spec in settings.TASK_KINDS.items():
        if any(fnmatchcase(name, pattern) for pattern in spec["tasks"]):
            return kind
    return None


class TaskKindLimits:
    """The task annotation named in CELERY_TASK_ANNOTATIONS: every task's soft and hard time
    limit from its kind, else the defaults. It wins over a limit in a task's decorator, so
    the one table in the settings is the truth."""

    def annotate(self, task):
        from django.conf import settings

        kind = task_kind(task.name)
        if kind is None:
            soft, hard = settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT
        else:
            soft, hard = settings.TASK_KINDS[kind]["limits"]
        return {"soft_time_limit": soft, "time_limit": hard}
