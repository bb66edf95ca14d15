"""One transition kit for every app: a step is declared once, judged in one place, and
locked and saved the same way.

A `Transition` declares the states a step starts from, the state it leads to, the roles
that take it (or, per state, the role of the stage), whether the four-eyes principle
applies, whether reasons are mandatory, and the input fields it takes. Pages, forms, the
REST API and the services all read the declaration: the form shows its fields, the API
lists them, and `judge()` says whether a person may take the step now.

`judge()` answers with a `Refusal` or None. Its kind says whose problem it is:

- ROLE, FOUR_EYES: not this person's step. Pages and the API answer 403.
- STATE, VERSION: not now (the object's state, an unmet condition, or someone else's
  change since the page was loaded). The API answers 409; pages say so and reload.

The order is fixed: the version seen, then the role, the state, four eyes and the
step's own conditions. Whoever can never take the step hears that first, whatever the
object's state.

Every transition has the same shape: guard → atomic → `lock()` (select_for_update and
the optimistic version check) → judge again under the lock → mutate → `save()` (version
counted up, history user and reason "<app>.<object>.<action>") → a Decision where the
step decides (governance.services.record_decision) → signals and mail after commit.

A history entry says two things apart: the *reason*, a namespaced code the service
chooses (with an optional `note` the service sets: a version number, an outcome code),
and the *person's text*, whatever the person typed for the change. The text goes to its
own field (`person_text`), never into the reason: the journal puts registered codes into
words, so typed text that looked like a code would forge a step nobody took.

Model-free: nothing here imports an app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import ConflictError, DomainError, PermissionRefused

ROLE = "role"
FOUR_EYES = "four_eyes"
STATE = "state"
VERSION = "version"
FORBIDDEN = frozenset({ROLE, FOUR_EYES})  # 403; the rest is 409

# simple-history keeps at most 100 characters of a change reason.
REASON_LENGTH = 100
# A reason code: lower-case words joined by dots, at least two ("catalog.dataset.changed").
REASON_CODE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
# The instance attribute the history (governance.signals) reads the person's text from,
# as simple-history reads `_change_reason`.
PERSON_TEXT_ATTRIBUTE = "_person_text"


@dataclass(frozen=True)
class Refusal:
    """Why a person may not take a step now: its kind (ROLE, FOUR_EYES, STATE, VERSION)
    and the message for the person (German)."""

    kind: str
    message: str

    @property
    def forbidden(self) -> bool:
        """Not this person's step (403), as opposed to not now (409)."""
        return self.kind in FORBIDDEN

    @property
    def status(self) -> int:
        return 403 if self.forbidden else 409

    def error(
        self, conflict: type[DomainError] = ConflictError, forbidden: type[DomainError] = PermissionRefused
    ) -> DomainError:
        """The exception a service raises for it, of the app's own classes: `forbidden`
        should derive from core.errors.PermissionRefused, `conflict` from ConflictError."""
        return (forbidden if self.forbidden else conflict)(self.message)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Transition:
    """One step of a lifecycle, declared once.

    `states`: the states it starts from; `target`: the state it leads to (None when the
    step decides it, e.g. by the rules). `roles`: any one of them takes the step;
    `stage_roles` (state → role) instead names the role of the stage the object is in.
    `fields`: the input the step takes besides `expected_version` (in order; "reasons"
    among them if it takes reasons at all). `state_first`: the state is judged before the
    role, for a step that is nobody's while its object is not in one of `states` (a review
    not yet put to the vote): a person without the role then hears "not now" first.
    Messages may be set per step; `%(action)s`, `%(state)s`, `%(role)s` and
    `%(organisation)s` are filled in."""

    action: str
    label: str
    states: tuple = ()
    target: str | None = None
    roles: tuple = ()
    stage_roles: Mapping = field(default_factory=dict)
    four_eyes: bool = False
    reason_required: bool = False
    fields: tuple = ("reasons",)
    primary: bool = False
    state_first: bool = False
    state_message: str = ""
    role_message: str = ""
    four_eyes_message: str = ""

    @property
    def takes_reasons(self) -> bool:
        return "reasons" in self.fields

    @property
    def input_fields(self) -> list[str]:
        """Every field of the step's input, as the form and the API take it."""
        return ["expected_version", *self.fields]

    def roles_for(self, state) -> tuple:
        """The roles that take the step in `state`: the stage's role, if it has one there."""
        if state in self.stage_roles:
            return (self.stage_roles[state],)
        return tuple(self.roles)


def table(*transitions: Transition) -> dict[str, Transition]:
    """The transitions of a lifecycle by action, in the order they are offered."""
    by_action = {}
    for transition in transitions:
        assert transition.action not in by_action, f"{transition.action} is declared twice"
        by_action[transition.action] = transition
    return by_action


def stale(current: int, expected: int | None, message: str) -> Refusal | None:
    """A VERSION refusal if the person saw another version than the one stored now
    (expected None: the caller does not check, e.g. a task acting on the newest)."""
    if expected is not None and current != expected:
        return Refusal(VERSION, message)
    return None


def _label(value) -> str:
    return str(getattr(value, "label", value))


def judge(
    transition: Transition,
    *,
    state,
    roles: Iterable | Callable[[], Iterable],
    user_id: int | None = None,
    involved: Iterable = (),
    organisation="",
    state_label: str = "",
    conditions: Iterable[str | None] = (),
    version: int | None = None,
    expected_version: int | None = None,
    stale_message: str = "",
) -> Refusal | None:
    """Whether a person may take `transition` now: None, or the first Refusal in the
    order version → role → state → four eyes → conditions (version → state → role … for a
    `state_first` step).

    `roles`: the roles the person holds where it counts (e.g. for the publisher), or a
    callable giving them (called only when the role is judged);
    `involved`: who may not take a four-eyes step (ids, or a callable giving them: it is
    called only for a four-eyes step that got that far); `conditions`: the step's own
    preconditions as messages, None (or "") for one that holds: they refuse as STATE.
    The version is judged only if both `version` and `expected_version` are given."""
    if version is not None and (refusal := stale(version, expected_version, stale_message)):
        return refusal
    checks = (_state_refusal, _role_refusal) if transition.state_first else (_role_refusal, _state_refusal)
    for check in checks:
        if refusal := check(transition, state, roles, organisation, state_label):
            return refusal
    if transition.four_eyes and user_id is not None and user_id in set(involved() if callable(involved) else involved):
        return Refusal(FOUR_EYES, str(transition.four_eyes_message or _("Vier-Augen-Prinzip: Nicht Ihr Schritt.")))
    for message in conditions:
        if message:
            return Refusal(STATE, str(message))
    return None


def _role_refusal(transition: Transition, state, roles, organisation, state_label) -> Refusal | None:
    needed = transition.roles_for(state)
    if needed and not set(needed) & set(roles() if callable(roles) else roles):
        message = transition.role_message or _("Dafür fehlt Ihnen die Rolle „%(role)s“ für %(organisation)s.")
        return Refusal(
            ROLE, message % {"role": " / ".join(_label(role) for role in needed), "organisation": organisation}
        )
    return None


def _state_refusal(transition: Transition, state, roles, organisation, state_label) -> Refusal | None:
    if state not in transition.states:
        message = transition.state_message or _("„%(action)s“ ist im Status „%(state)s“ nicht möglich.")
        return Refusal(STATE, message % {"action": transition.label, "state": state_label or state})
    return None


def require_reasons(reasons: str) -> str:
    """The reasons of a step that must give them, stripped (a field error if empty)."""
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationError({"reasons": _("Bitte begründen Sie die Entscheidung.")})
    return reasons


def guard(refusal: Refusal | None, *, conflict=ConflictError, forbidden=PermissionRefused) -> None:
    """Raise the app's error for a refusal (none: nothing happens)."""
    if refusal is not None:
        raise refusal.error(conflict, forbidden)


def lock(queryset, pk, *, expected_version: int | None = None, message="", conflict=ConflictError):
    """The row, locked for the rest of the transaction (only the row itself, not the rows
    joined by select_related), after checking that the person saw its current version:
    two people acting on one version give one transition and one ConflictError.
    `message` may be a callable of the locked row (to name its current state)."""
    locked = queryset.select_for_update(of=("self",)).get(pk=pk)
    if expected_version is not None and locked.version != expected_version:
        text = message(locked) if callable(message) else message
        raise conflict(
            text or _("Der Eintrag wurde inzwischen von jemand anderem geändert. Bitte laden Sie die Seite neu.")
        )
    return locked


def is_reason_code(code: str) -> bool:
    return bool(REASON_CODE.fullmatch(code or ""))


# simple-history stores the change reason in a CharField(max_length=100); a service's
# note after the code may make it longer and would make PostgreSQL refuse the whole
# change. (A person's text has its own field and is never cut.)
CHANGE_REASON_MAX_LENGTH = 100


def fit_change_reason(reason: str) -> str:
    if len(reason) > CHANGE_REASON_MAX_LENGTH:
        return reason[: CHANGE_REASON_MAX_LENGTH - 1] + "…"
    return reason


def change_reason(code: str, note: str = "") -> str:
    """The history reason of a step: its namespaced code, and a note the service sets
    after a colon (or already in `code`, as "<code>: <note>"). Never a person's text (see
    `stamp`): a code that is not one is a programming error."""
    if not is_reason_code(code.partition(": ")[0]):
        raise ValueError(f"{code!r} is not a reason code; a person's text goes to person_text")
    note = (note or "").strip()
    return (f"{code}: {note}" if note else code)[:REASON_LENGTH]


def stamp(instance, *, by, reason: str, note: str = "", person_text: str = "") -> None:
    """Tell the history who saves `instance` and why, for the next save(): the service's
    reason code (and its note), and apart from it the text the person typed."""
    instance._history_user = by
    instance._change_reason = change_reason(reason, note)
    setattr(instance, PERSON_TEXT_ATTRIBUTE, (person_text or "").strip())


def save(
    instance,
    *,
    by,
    reason: str,
    note: str = "",
    person_text: str = "",
    fields: Iterable[str] | None = None,
    state=None,
    state_field: str = "state",
    changed_at: str = "",
    now=None,
    versioned: bool = True,
):
    """Save what a step changed, with the history user, reason and the person's text
    (`stamp`): moves `state_field` to `state` (stamping `changed_at` with `now`), counts
    the version up (`versioned`) and saves `fields` (None: the whole row). Returns the
    state before."""
    old_state = getattr(instance, state_field, None)
    update = list(fields) if fields is not None else None
    if state is not None and state != old_state:
        setattr(instance, state_field, state)
        if changed_at:
            setattr(instance, changed_at, now or timezone.now())
        if update is not None:
            update += [state_field, *([changed_at] if changed_at else [])]
    if versioned and instance.pk is not None:
        instance.version += 1
        if update is not None:
            update.append("version")
    if update is not None and any(f.name == "modified" for f in instance._meta.concrete_fields):
        update.append("modified")  # auto_now is saved only when named
    stamp(instance, by=by, reason=reason, note=note, person_text=person_text)
    if update is None:
        instance.save()
    else:
        instance.save(update_fields=list(dict.fromkeys(update)))
    return old_state
