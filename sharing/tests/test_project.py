"""Project rules applied to the sharing app: no bulk write bypasses history and audit,
and the periodic task is scheduled. (What the demo shows of sharing: demo/tests/test_sharing.py.)"""

import ast
from pathlib import Path

from django.conf import settings

from governance.tests.test_audit_bulk import audited_model_names, bulk_writes

APP = Path(__file__).resolve().parents[1]


def test_no_bulk_write_bypasses_history_and_audit():
    names = audited_model_names()
    assert {"SharingAgreement", "AccessRequest", "AccessGrant"} <= names
    found = [
        f"{path.name}:{line} {model}.{method}()"
        for path in APP.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(APP).parts)
        for model, method, line in bulk_writes(ast.parse(path.read_text()), names)
    ]
    assert found == []


def test_the_periods_are_applied_every_five_minutes():
    schedule = settings.CELERY_BEAT_SCHEDULE["sharing-periods"]
    assert schedule == {"task": "sharing.tasks.apply_sharing_periods", "schedule": 300.0}
