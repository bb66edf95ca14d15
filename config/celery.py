"""The Celery app. Run a worker and the scheduler next to the web server:

    celery -A config worker --loglevel=INFO --concurrency=2
    celery -A config beat --loglevel=INFO

Settings come from CELERY_* in config.settings; without CELERY_BROKER_URL tasks run
eagerly in the web process. Tasks take ids, are enqueued on commit (`delay_on_commit`)
and are safe to run twice: with acks_late a task whose worker dies is delivered again.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("stadtdaten")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
