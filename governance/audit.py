"""The append-only, hash-chained audit journal.

Every history record that django-simple-history writes (create, update, delete of any
history-tracked model, in any app) appends one AuditEvent in the same transaction,
through the `post_create_historical_record` signal. Models without history register
here (`register(..., track_saves=True)`), e.g. the catalog's immutable Classification.
Decisions and permission changes append their events explicitly (services).

Chain: event n stores prev_hash = hash of event n-1 and hash = SHA-256(prev_hash +
canonical JSON of its payload). The payload names the person's text only when there is
one: events written before it had a column of its own hash as they did. Appends are
serialized so concurrent transactions never fork the chain: on PostgreSQL by a
transaction-scoped advisory lock taken before the head is read (held until commit or
rollback); SQLite has one writer at a time anyway. The unique `seq` is the last net: two
appends that read the same head cannot both commit.

What bypasses it: QuerySet.update(), bulk_create() and bulk_update() send no signals,
so they write no history and no audit. Code must not use them on history-tracked
models (tests/test_audit_bulk.py scans the code base for that); raw SQL likewise.
"""

from __future__ import annotations

import contextvars
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models, router, transaction
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords
from simple_history.signals import post_create_historical_m2m_records, post_create_historical_record

from core import transitions
from core.transitions import PERSON_TEXT_ATTRIBUTE

from .models import GENESIS_HASH, AuditAction, AuditEvent, AuditVerification

# An arbitrary constant: the key of the PostgreSQL advisory lock of the chain.
CHAIN_LOCK_KEY = 0x5D_A0D17

# Filled by governance.middleware.RequestContextMiddleware for the current request.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("stadtdaten_request_id", default="")
request_user_var: contextvars.ContextVar = contextvars.ContextVar("stadtdaten_request_user", default=None)

UNSET = object()


@dataclass
class AuditSpec:
    organisation: Callable | None = None  # instance → organisation id (or None)
    version_url: Callable | None = None  # (instance id, version id) → URL of that version, or None
    actor: Callable | None = None  # instance → user, for models without history and no request


_registry: dict[type, AuditSpec] = {}


def register(
    model: type[models.Model],
    *,
    organisation: Callable | None = None,
    version_url: Callable | None = None,
    actor: Callable | None = None,
    track_saves: bool = False,
) -> None:
    """Tell the journal how to file events of `model`: which organisation an instance
    belongs to (for the auditors' scope) and where a version can be looked at.
    History-tracked models are journaled anyway; `track_saves=True` journals the
    saves and deletes of a model without history."""
    _registry[model] = AuditSpec(organisation=organisation, version_url=version_url, actor=actor)
    if track_saves:
        uid = f"governance.audit.{model._meta.label}"
        post_save.connect(_journal_save, sender=model, dispatch_uid=uid + ".save", weak=False)
        post_delete.connect(_journal_delete, sender=model, dispatch_uid=uid + ".delete", weak=False)


def spec_for(model) -> AuditSpec:
    return _registry.get(model, AuditSpec())


def registered_models() -> list[type[models.Model]]:
    return list(_registry)


def organisation_id_for(instance) -> int | None:
    spec = _registry.get(type(instance))
    try:
        if spec and spec.organisation:
            return spec.organisation(instance)
        return getattr(instance, "organisation_id", None)
    except Exception:  # a related object may already be gone (deletes)
        return None


# ---------------------------------------------------------------------------
# Canonical form and hashing


def to_jsonable(value):
    """A value as it will read back from a JSON column: the hash covers exactly that."""
    if isinstance(value, FieldFile):
        value = value.name or ""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def payload(event: AuditEvent) -> dict:
    """Everything an event says, in the canonical form its hash covers."""
    content_type = ContentType.objects.get_for_id(event.content_type_id) if event.content_type_id else None
    fields = {
        "seq": event.seq,
        "time": event.time.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor": event.actor_repr,
        "action": event.action,
        "content_type": f"{content_type.app_label}.{content_type.model}" if content_type else "",
        "object_id": event.object_id,
        "object": event.object_repr,
        "version_id": event.version_id,
        "organisation_id": event.organisation_id,
        "request_id": event.request_id,
        "reason": event.reason,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }
    if event.person_text:
        fields["person_text"] = event.person_text
    return fields


def compute_hash(prev_hash: str, event_payload: dict) -> str:
    return hashlib.sha256((prev_hash + canonical_json(event_payload)).encode()).hexdigest()


# ---------------------------------------------------------------------------
# Appending


def _lock_chain(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def describe_actor(user) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


def current_user():
    user = request_user_var.get()
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def append(
    *,
    action: str,
    instance: models.Model | None = None,
    content_type: ContentType | None = None,
    object_id: str = "",
    object_repr: str | None = None,
    version_id: int | None = None,
    organisation_id: int | object | None = UNSET,
    actor=UNSET,
    reason: str = "",
    person_text: str = "",
    data: dict | None = None,
    time=None,
    using: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction if there is one
    (otherwise in its own). `reason`: the service's code; `person_text`: what the person
    typed, never a code."""
    event = build_event(
        action=action, instance=instance, content_type=content_type, object_id=object_id, object_repr=object_repr,
        version_id=version_id, organisation_id=organisation_id, actor=actor, reason=reason, person_text=person_text,
        data=data, time=time,
    )  # fmt: skip
    return append_events([event], using=using)[0]


def build_event(
    *,
    action: str,
    instance: models.Model | None = None,
    content_type: ContentType | None = None,
    object_id: str = "",
    object_repr: str | None = None,
    version_id: int | None = None,
    organisation_id: int | object | None = UNSET,
    actor=UNSET,
    reason: str = "",
    person_text: str = "",
    data: dict | None = None,
    time=None,
) -> AuditEvent:
    """An event as append() writes it, not yet in the chain (append_events puts it there)."""
    if instance is not None:
        content_type = content_type or ContentType.objects.get_for_model(type(instance))
        object_id = object_id or str(instance.pk)
        if object_repr is None:
            object_repr = _safe_str(instance)
        if organisation_id is UNSET:
            organisation_id = organisation_id_for(instance)
    actor = current_user() if actor is UNSET else actor
    return AuditEvent(
        time=time or timezone.now(),
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        actor_repr=describe_actor(actor)[:200],
        action=action,
        content_type=content_type,
        object_id=str(object_id)[:64],
        object_repr=(object_repr or "")[:300],
        version_id=version_id,
        organisation_id=None if organisation_id is UNSET else organisation_id,
        request_id=request_id_var.get()[:64],
        reason=(reason or "")[:500],
        person_text=(person_text or "").strip(),
        data=to_jsonable(data or {}),
    )


def append_events(events: list[AuditEvent], *, using: str | None = None) -> list[AuditEvent]:
    """Put `events` (build_event) at the head of the chain in their order: one lock, one
    read of the head and one INSERT for all of them, however many they are."""
    using = using or router.db_for_write(AuditEvent)
    if not events:
        return events
    with transaction.atomic(using=using, savepoint=False):
        _lock_chain(using)
        head = AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = head if head else (0, GENESIS_HASH)
        for event in events:
            seq += 1
            event.seq, event.prev_hash = seq, prev_hash
            event.hash = prev_hash = compute_hash(event.prev_hash, payload(event))
        if len(events) == 1:
            events[0].save(using=using)
        else:
            # Past the manager, which refuses bulk writes to anyone else: these events are
            # chained under the lock like one by one, only inserted in one statement.
            models.QuerySet(AuditEvent, using=using).bulk_create(events)
    return events


def _safe_str(instance) -> str:
    try:
        return object_text(instance)
    except Exception:
        return f"{instance._meta.verbose_name} #{instance.pk}"


def without_type_prefix(text: str, model) -> str:
    """An object's name without its kind in front ("Ethikprüfung: X" → "X"): the journal
    names the kind beside it, so it would read twice."""
    if model is None:
        return text
    label = str(model._meta.verbose_name)
    for name in {label, label[:1].upper() + label[1:]}:
        if text.startswith(f"{name}: "):
            return text[len(name) + 2 :]
    return text


def object_text(instance) -> str:
    """What the journal stores as an object's name: its str(), without its kind."""
    return without_type_prefix(str(instance), type(instance))


# ---------------------------------------------------------------------------
# Snapshots and diffs


def model_snapshot(instance) -> dict:
    """The stored values of a model instance, keyed by field name (FKs as ids)."""
    return {
        field.name: to_jsonable(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
        if not field.primary_key
    }


def history_snapshot(history_instance) -> dict:
    """The tracked values a simple-history record holds, plus its many-to-many ids."""
    model = history_instance.instance_type
    snapshot = {}
    for field in history_instance._meta.concrete_fields:
        if field.name.startswith("history_") or field.attname == model._meta.pk.attname:
            continue
        try:
            name = model._meta.get_field(field.name).name
        except Exception:
            name = field.name
        snapshot[name] = to_jsonable(getattr(history_instance, field.attname))
    snapshot.update(getattr(history_instance, "_audit_m2m", {}))
    return snapshot


def diff(before: dict, after: dict) -> dict:
    return {
        name: {"old": before.get(name), "new": value}
        for name, value in after.items()
        if name in before and before[name] != value
    }


def _previous_snapshot(content_type, object_id, history_instance) -> dict | None:
    data = (
        AuditEvent.objects.filter(
            content_type=content_type, object_id=object_id, action__in=[AuditAction.CREATE, AuditAction.UPDATE]
        )
        .order_by("-seq")
        .values_list("data", flat=True)
        .first()
    )
    if data and "snapshot" in data:
        return data["snapshot"]
    # Rows older than the journal: fall back to the previous history record.
    previous = history_instance.prev_record
    return history_snapshot(previous) if previous is not None else None


HISTORY_ACTIONS = {"+": AuditAction.CREATE, "~": AuditAction.UPDATE, "-": AuditAction.DELETE}


@receiver(post_create_historical_m2m_records, dispatch_uid="governance.audit.m2m")
def _remember_m2m(sender, created_rows, history_instance, instance, field, **kwargs):
    target = field.m2m_reverse_field_name()
    ids = sorted(getattr(row, f"{target}_id") for row in created_rows)
    history_instance._audit_m2m = {**getattr(history_instance, "_audit_m2m", {}), field.name: ids}


def history_event(history_instance, instance, *, actor=UNSET, reason: str = "") -> AuditEvent:
    """The event that files a simple-history record (a version) in the journal."""
    model = history_instance.instance_type
    content_type = ContentType.objects.get_for_model(model)
    object_id = str(getattr(history_instance, model._meta.pk.attname))
    action = HISTORY_ACTIONS[history_instance.history_type]
    snapshot = history_snapshot(history_instance)
    data = {"snapshot": snapshot}
    if action == AuditAction.UPDATE:
        before = _previous_snapshot(content_type, object_id, history_instance)
        if before is not None:
            data["changes"] = diff(before, snapshot)
    return build_event(
        action=action,
        instance=instance,
        content_type=content_type,
        object_id=object_id,
        version_id=history_instance.pk,
        actor=actor,
        reason=reason,
        person_text=getattr(history_instance, "history_person_text", ""),
        data=data,
        time=history_instance.history_date,
    )


@receiver(post_create_historical_record, dispatch_uid="governance.audit.history")
def _journal_history_record(sender, instance, history_instance, history_user, history_change_reason, **kwargs):
    event = history_event(
        history_instance, instance, actor=history_user if history_user is not None else current_user(),
        reason=history_change_reason or "",
    )  # fmt: skip
    model = history_instance.instance_type
    append_events([event], using=kwargs.get("using") or router.db_for_write(model))


def create_with_history(model, objs: list, *, by, reason: str, m2m: dict[str, list] | None = None) -> list:
    """Create `objs`, new instances of a history-tracked model, with what save() one by
    one would write (a version each, holding its many-to-many rows, and a journal event
    each), for many at once in a constant number of statements: the one bulk write on
    such models (tests/test_audit_bulk.py). `m2m`: {field name: the related ids of each
    object, in the order of `objs`}. It sends no model signals: the caller does what their
    receivers would (the search index, background tasks). `reason` is a service's code."""
    code = reason.partition(": ")[0]
    if not transitions.is_reason_code(code):
        raise ValueError(f"{reason!r} is no reason code")
    if not objs:
        return objs
    now = timezone.now()
    history_model = model.history.model
    with transaction.atomic():
        model.objects.bulk_create(objs)
        through_rows = {}
        for name, related_ids in (m2m or {}).items():
            field = model._meta.get_field(name)
            through = field.remote_field.through
            source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            rows = [
                [through(**{f"{source}_id": obj.pk, f"{target}_id": related_id}) for related_id in ids]
                for obj, ids in zip(objs, related_ids, strict=True)
            ]
            through.objects.bulk_create([row for group in rows for row in group])
            through_rows[field] = rows
        person_text = any(field.name == "history_person_text" for field in history_model._meta.fields)
        versions = []
        for obj in objs:
            version = history_model(
                history_date=now, history_type="+", history_user=getattr(obj, "_history_user", by),
                history_change_reason=transitions.fit_change_reason(getattr(obj, "_change_reason", "") or reason),
                **{field.attname: getattr(obj, field.attname) for field in history_model.tracked_fields},
            )  # fmt: skip
            if person_text:
                version.history_person_text = getattr(obj, PERSON_TEXT_ATTRIBUTE, "")
            versions.append(version)
        history_model.objects.bulk_create(versions)
        for field in history_model._history_m2m_fields:
            rows = through_rows.get(field)
            if rows is None:
                continue
            version_model = HistoricalRecords.m2m_models[field]
            names = [f.attname for f in field.remote_field.through._meta.fields]
            version_model.objects.bulk_create(
                version_model(history_id=version.pk, **{name: getattr(row, name) for name in names})
                for version, group in zip(versions, rows, strict=True)
                for row in group
            )
            target = field.m2m_reverse_field_name()
            for version, group in zip(versions, rows, strict=True):
                version._audit_m2m = {**getattr(version, "_audit_m2m", {}),
                                      field.name: sorted(getattr(row, f"{target}_id") for row in group)}  # fmt: skip
        append_events([history_event(version, obj, actor=by, reason=version.history_change_reason)
                       for version, obj in zip(versions, objs, strict=True)])  # fmt: skip
    return objs


def _journal_save(sender, instance, created, raw=False, using=None, **kwargs):
    if raw:
        return
    spec = spec_for(type(instance))
    actor = current_user() or (spec.actor(instance) if spec.actor else None)
    append(
        action=AuditAction.CREATE if created else AuditAction.UPDATE,
        instance=instance,
        actor=actor,
        data={"snapshot": model_snapshot(instance)},
        reason=getattr(instance, "_change_reason", ""),
        person_text=getattr(instance, PERSON_TEXT_ATTRIBUTE, ""),
        using=using,
    )


def _journal_delete(sender, instance, using=None, **kwargs):
    append(action=AuditAction.DELETE, instance=instance, data={"snapshot": model_snapshot(instance)}, using=using)


# ---------------------------------------------------------------------------
# Verification


@dataclass
class ChainReport:
    ok: bool
    checked: int
    last_seq: int | None
    head_hash: str
    broken_seq: int | None = None
    message: str = ""


def verify_chain(*, using: str = "default", anchor: tuple[int, str] | None = None, chunk_size: int = 2000):
    """Walk the journal in seq order (streaming) and report the first broken event:
    a changed payload, a missing event (gap), a reordered or relinked event. An anchor
    (seq, hash) kept outside the database also detects a cut-off tail."""
    expected_seq, prev_hash, checked, anchor_seen = 1, GENESIS_HASH, 0, False
    events = AuditEvent.objects.using(using).order_by("seq").iterator(chunk_size=chunk_size)
    for event in events:
        if event.seq != expected_seq:
            return ChainReport(
                False,
                checked,
                expected_seq - 1 or None,
                prev_hash,
                expected_seq,
                _("Ereignis %(seq)d fehlt: Lücke vor Ereignis %(next)d.") % {"seq": expected_seq, "next": event.seq},
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                False,
                checked,
                event.seq,
                prev_hash,
                event.seq,
                _("Ereignis %(seq)d: Verkettung gebrochen (der vorherige Hash passt nicht).") % {"seq": event.seq},
            )
        if compute_hash(event.prev_hash, payload(event)) != event.hash:
            return ChainReport(
                False,
                checked,
                event.seq,
                prev_hash,
                event.seq,
                _("Ereignis %(seq)d: Inhalt verändert (der Hash passt nicht zum Inhalt).") % {"seq": event.seq},
            )
        if anchor and event.seq == anchor[0]:
            anchor_seen = True
            if event.hash != anchor[1]:
                return ChainReport(
                    False,
                    checked,
                    event.seq,
                    prev_hash,
                    event.seq,
                    _("Ereignis %(seq)d: Hash weicht vom Anker ab.") % {"seq": event.seq},
                )
        prev_hash, expected_seq, checked = event.hash, event.seq + 1, checked + 1
    last_seq = expected_seq - 1 or None
    if anchor and not anchor_seen:
        return ChainReport(
            False,
            checked,
            last_seq,
            prev_hash,
            anchor[0],
            _("Ereignis %(seq)d aus dem Anker fehlt: das Journal wurde gekürzt.") % {"seq": anchor[0]},
        )
    return ChainReport(
        True,
        checked,
        last_seq,
        prev_hash,
        None,
        _("Kette intakt: %(n)d Ereignisse geprüft.") % {"n": checked},
    )


def record_verification(report: ChainReport, *, by=None) -> AuditVerification:
    return AuditVerification.objects.create(
        ok=report.ok,
        events_checked=report.checked,
        last_seq=report.last_seq,
        head_hash=report.head_hash if report.checked else "",
        broken_seq=report.broken_seq,
        message=report.message[:500],
        started_by=by,
    )
