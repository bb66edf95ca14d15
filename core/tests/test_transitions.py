"""The transition kit on its own: declarations, the one judge and its order, the lock's
version check and the save recipe, without any app's models."""

import dataclasses
from types import SimpleNamespace

import pytest
from django.utils.translation import gettext_lazy

from core import transitions
from core.errors import ConflictError, DomainError, PermissionRefused
from core.transitions import FOUR_EYES, ROLE, STATE, VERSION, Refusal, Transition, judge

APPROVE = Transition(
    "approve",
    "Freigeben",
    states=("review",),
    target="approved",
    roles=("legal",),
    four_eyes=True,
    fields=("confirmed", "reasons"),
    four_eyes_message="Vier-Augen-Prinzip: nicht selbst.",
)
RETURN = Transition(
    "return",
    "Zurückgeben",
    states=("owner_review", "review"),
    target="draft",
    roles=("owner", "legal"),
    stage_roles={"owner_review": "owner", "review": "legal"},
    reason_required=True,
)


def decide(transition=APPROVE, **given):
    facts = {"state": "review", "roles": {"legal"}, "user_id": 7, "involved": {1, 2}, "organisation": "Stadt A"}
    return judge(transition, **{**facts, **given})


def test_a_person_with_the_role_in_the_right_state_may_act():
    assert decide() is None


def test_a_missing_role_is_forbidden_and_names_the_role_and_organisation():
    refusal = decide(roles={"steward"})
    assert refusal == Refusal(ROLE, "Dafür fehlt Ihnen die Rolle „legal“ für Stadt A.")
    assert (refusal.forbidden, refusal.status) == (True, 403)


def test_the_wrong_state_is_a_conflict():
    refusal = decide(state="draft", state_label="Entwurf")
    assert refusal == Refusal(STATE, "„Freigeben“ ist im Status „Entwurf“ nicht möglich.")
    assert (refusal.forbidden, refusal.status) == (False, 409)


def test_four_eyes_keep_out_whoever_was_involved():
    assert decide(user_id=2) == Refusal(FOUR_EYES, "Vier-Augen-Prinzip: nicht selbst.")
    assert decide(user_id=2).status == 403
    assert decide(RETURN, user_id=2) is None  # no four eyes on a return


def test_who_was_involved_is_asked_only_when_it_counts():
    asked = []

    def involved():
        asked.append(True)
        return {7}

    assert decide(RETURN, involved=involved) is None
    assert decide(roles=set(), involved=involved).kind == ROLE
    assert asked == []
    assert decide(involved=involved).kind == FOUR_EYES
    assert asked == [True]


def test_a_state_first_step_says_not_now_before_not_yours_and_asks_for_roles_only_then():
    vote = dataclasses.replace(APPROVE, state_first=True)
    asked = []

    def roles():
        asked.append(True)
        return set()

    assert decide(roles={"steward"}, state="draft").kind == ROLE  # the usual order: whose step first
    assert decide(vote, roles=roles, state="draft").kind == STATE
    assert asked == []
    assert decide(vote, roles=roles).kind == ROLE
    assert asked == [True]


def test_every_refusal_message_is_text_also_from_a_lazy_declaration():
    message = gettext_lazy("Vier-Augen-Prinzip: Nicht Ihr Schritt.")
    lazy = Transition("vote", "Abstimmen", states=("voting",), four_eyes=True, four_eyes_message=message)
    refusal = judge(lazy, state="voting", roles=(), user_id=1, involved={1})
    assert (refusal.kind, refusal.message, type(refusal.message)) == (FOUR_EYES, str(message), str)


def test_reasons_are_required_where_the_step_says_so():
    from django.core.exceptions import ValidationError

    assert transitions.require_reasons("  weil  ") == "weil"
    with pytest.raises(ValidationError) as error:
        transitions.require_reasons(" ")
    assert error.value.message_dict == {"reasons": ["Bitte begründen Sie die Entscheidung."]}


def test_the_stage_decides_who_returns():
    assert decide(RETURN, state="owner_review", roles={"legal"}).kind == ROLE
    assert decide(RETURN, state="owner_review", roles={"owner"}) is None
    assert decide(RETURN, state="review", roles={"owner"}).kind == ROLE
    # Outside its stages any of the roles counts; the state then refuses.
    assert decide(RETURN, state="draft", roles={"owner"}).kind == STATE


def test_conditions_refuse_as_state_in_their_order():
    assert decide(conditions=[None, "", "Erst klassifizieren.", "Zweite."]) == Refusal(STATE, "Erst klassifizieren.")


def test_the_order_is_version_role_state_four_eyes_conditions():
    everything_wrong = {
        "version": 3,
        "expected_version": 2,
        "stale_message": "Neu laden.",
        "roles": set(),
        "state": "draft",
        "user_id": 1,
        "conditions": ["Nein."],
    }
    assert decide(**everything_wrong).kind == VERSION
    del everything_wrong["expected_version"]
    assert decide(**everything_wrong).kind == ROLE
    everything_wrong["roles"] = {"legal"}
    assert decide(**everything_wrong).kind == STATE
    everything_wrong["state"] = "review"
    assert decide(**everything_wrong).kind == FOUR_EYES
    everything_wrong["user_id"] = 9
    assert decide(**everything_wrong) == Refusal(STATE, "Nein.")


def test_own_messages_per_step():
    submit = Transition(
        "submit", "Einreichen", states=("draft",), roles=("steward",), fields=(),
        state_message="Nur ein Entwurf kann eingereicht werden.", role_message="Einreichen nur Verantwortliche.",
    )  # fmt: skip
    assert decide(submit, roles={"steward"}).message == "Nur ein Entwurf kann eingereicht werden."
    assert decide(submit, state="draft", roles=set()).message == "Einreichen nur Verantwortliche."


def test_a_step_without_roles_is_anyones():
    anyone = Transition("note", "Notiz", states=("review",))
    assert decide(anyone, roles=set()) is None


def test_the_declared_input():
    assert APPROVE.input_fields == ["expected_version", "confirmed", "reasons"]
    assert APPROVE.takes_reasons
    assert not Transition("submit", "Einreichen", fields=()).takes_reasons


def test_a_table_refuses_a_step_declared_twice():
    assert list(transitions.table(APPROVE, RETURN)) == ["approve", "return"]
    with pytest.raises(AssertionError):
        transitions.table(APPROVE, APPROVE)


class AppError(DomainError):
    pass


class AppConflict(AppError, ConflictError):
    pass


class AppRefused(AppConflict, PermissionRefused):
    pass


def test_a_refusal_raises_the_apps_own_errors():
    with pytest.raises(AppRefused, match="Rolle"):
        transitions.guard(decide(roles=set()), conflict=AppConflict, forbidden=AppRefused)
    with pytest.raises(AppConflict) as raised:
        transitions.guard(decide(state="draft"), conflict=AppConflict, forbidden=AppRefused)
    assert not isinstance(raised.value, PermissionRefused)
    transitions.guard(None)
    assert isinstance(Refusal(VERSION, "x").error(), ConflictError)
    assert isinstance(Refusal(FOUR_EYES, "x").error(), PermissionRefused)


class Rows:
    """Just enough of a queryset: what lock() asks of it."""

    def __init__(self, row):
        self.row, self.calls = row, []

    def select_for_update(self, **options):
        self.calls.append(("select_for_update", options))
        return self

    def get(self, pk):
        self.calls.append(("get", pk))
        return self.row


def test_lock_locks_the_row_itself_and_checks_the_version():
    row = SimpleNamespace(pk=5, version=4, state="review")
    rows = Rows(row)
    assert transitions.lock(rows, 5, expected_version=4) is row
    assert rows.calls == [("select_for_update", {"of": ("self",)}), ("get", 5)]
    assert transitions.lock(Rows(row), 5) is row  # no version seen: no check

    with pytest.raises(AppConflict, match="jetzt: review"):
        transitions.lock(
            Rows(row), 5, expected_version=3, message=lambda r: f"(jetzt: {r.state})", conflict=AppConflict
        )
    with pytest.raises(ConflictError, match="Bitte laden Sie die Seite neu"):
        transitions.lock(Rows(row), 5, expected_version=3)


class Row:
    """Just enough of a model instance: what save() asks of it."""

    def __init__(self, *, pk=1, state="draft", version=1, modified=True):
        self.pk, self.state, self.version, self.saved = pk, state, version, []
        names = ["state", "version", "changed", *(["modified"] if modified else [])]
        self._meta = SimpleNamespace(concrete_fields=[SimpleNamespace(name=name) for name in names])

    def save(self, update_fields=None):
        self.saved.append(update_fields)


def test_save_moves_the_state_counts_the_version_and_names_the_change():
    row = Row()
    old = transitions.save(
        row, by="alice", reason="app.thing.submitted", note="weil", fields=["title"], state="review",
        changed_at="changed", now="jetzt",
    )  # fmt: skip
    assert old == "draft"
    assert (row.state, row.changed, row.version) == ("review", "jetzt", 2)
    assert (row._history_user, row._change_reason) == ("alice", "app.thing.submitted: weil")
    assert row.saved == [["title", "state", "changed", "version", "modified"]]


def test_save_without_a_state_change_or_a_version():
    row = Row(modified=False)
    transitions.save(row, by=None, reason="app.thing.noted", fields=["title"], state="draft", versioned=False)
    assert row.saved == [["title"]]
    assert row.version == 1
    transitions.save(row, by=None, reason="app.thing.changed")
    assert row.saved[-1] is None  # the whole row
    assert row.version == 2


def test_the_change_reason_fits_the_history_column():
    assert len(transitions.change_reason("app.thing.returned", "x" * 300)) == 100
    assert transitions.change_reason("app.thing.returned", "  ") == "app.thing.returned"
