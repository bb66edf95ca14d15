from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Dataset, EthicsOutcome
from governance.models import Role, RoleAssignment
from governance.views import staff_required

from . import permissions, services
from .forms import CloseForm, CompleteConditionForm, ConditionForm, DataUseForm, QuestionnaireForm, VoteForm
from .models import Condition, EthicsReview, ReviewStatus


def _errors(request, error: ValidationError) -> None:
    messages.error(request, " ".join(error.messages))


# ---------------------------------------------------------------------------
# Staff: reviews


@require_GET
@staff_required
def review_list(request):
    status = request.GET.get("status", "")
    if status not in ReviewStatus.values:
        status = ""
    visible = permissions.visible_reviews(request.user)
    counts = dict(visible.order_by().values_list("status").annotate(n=Count("pk")))
    reviews = visible.select_related("organisation", "dataset", "data_use").annotate(
        counted_votes=Count("votes", filter=Q(votes__recused=False))
    )
    if status:
        reviews = reviews.filter(status=status)
    tabs = [("", _("Alle"), sum(counts.values()))] + [
        (value, label, counts.get(value, 0)) for value, label in ReviewStatus.choices
    ]
    return render(
        request,
        "ethics/review_list.html",
        {
            "reviews": reviews[:200],
            "status": status,
            "tabs": tabs,
            "data_uses": permissions.visible_data_uses(request.user).select_related("organisation")[:100],
            "can_create_data_use": permissions.data_use_organisations(request.user).exists(),
        },
    )


def _board_members(review):
    ids = RoleAssignment.objects.active().filter(
        role__in=[Role.ETHICS_BOARD_MEMBER, Role.STEWARD, Role.OWNER], organisation=review.organisation
    )
    return get_user_model().objects.filter(pk__in=ids.values("user"), is_active=True).order_by("last_name", "username")


@require_GET
@staff_required
def review_detail(request, pk):
    review = permissions.get_review_for_user(request.user, pk)
    user = request.user
    questions = services.questions_for(review)
    answers = {a.question_id: a for a in review.answers.select_related("question")}
    votes = list(review.votes.select_related("member"))
    conditions = list(review.conditions.select_related("owner", "completed_by"))
    can_answer = services.can_answer(user, review)
    can_vote = services.vote_refusal(user, review) is None
    own_vote = next((vote for vote in votes if vote.member_id == user.pk), None)
    vote_form = None
    if can_vote:
        initial = {}
        if own_vote:
            initial = {k: getattr(own_vote, k) for k in ("vote", "reasoning", "minority_opinion", "recused",
                                                         "conflict_note")}  # fmt: skip
        vote_form = VoteForm(initial=initial)
    counted = sum(1 for vote in votes if vote.counts)
    is_member = services.is_board_member(user, review)
    context = {
        "review": review,
        "subject": review.subject,
        "questionnaire_form": QuestionnaireForm(questions=questions, answers=answers) if can_answer else None,
        "answered": [(q, answers.get(q.pk)) for q in questions],
        "groups": _answered_groups(questions, answers),
        "votes": votes,
        "counted": counted,
        "majority": EthicsOutcome(services.majority(votes)).label if services.majority(votes) else "",
        "conditions": conditions,
        "can_vote": can_vote,
        "vote_refusal": services.vote_refusal(user, review) if is_member else None,
        "vote_form": vote_form,
        "condition_form": ConditionForm(owners=_board_members(review)) if can_vote else None,
        "close_form": CloseForm() if can_vote else None,
        "close_refusal": services.close_refusal(user, review) if can_vote else None,
        "complete_form": CompleteConditionForm(),
        "can_complete": {c.pk for c in conditions if not c.is_done and (c.owner_id == user.pk or is_member)},
        "preview_referral": services.review_referral(review) if review.status == ReviewStatus.ANSWERING else None,
    }
    return render(request, "ethics/review_detail.html", context)


def _answered_groups(questions, answers):
    from .models import QuestionGroup

    result = []
    for group in QuestionGroup:
        rows = [(q, answers.get(q.pk)) for q in questions if q.group == group]
        if rows:
            result.append((group.label, rows))
    return result


@require_POST
@staff_required
def review_answer(request, pk):
    review = permissions.get_review_for_user(request.user, pk)
    if not services.can_answer(request.user, review):
        raise PermissionDenied
    form = QuestionnaireForm(request.POST, questions=services.questions_for(review), answers={})
    submit = "vorlegen" in request.POST
    if form.is_valid():
        try:
            services.answer(review, by=request.user, answers=form.answers(), submit=submit)
        except ValidationError as error:
            count = len(error.error_dict) if hasattr(error, "error_dict") else 1
            messages.error(
                request,
                _("Gespeichert, aber noch nicht vollständig: %(count)d Fragen sind offen oder ungültig.")
                % {"count": count},
            )
        except services.EthicsError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Dem Datenethikbeirat vorgelegt.") if submit else _("Antworten gespeichert."))
    else:
        messages.error(request, _("Bitte prüfen Sie Ihre Eingaben."))
    return redirect(review.get_absolute_url() + ("#beratung" if submit else "#fragebogen"))


@require_POST
@staff_required
def review_vote(request, pk):
    review = permissions.get_review_for_user(request.user, pk)
    if services.vote_refusal(request.user, review):
        raise PermissionDenied
    form = VoteForm(request.POST)
    form.is_valid()
    data = form.cleaned_data
    try:
        services.cast_vote(
            review,
            by=request.user,
            vote=data.get("vote") or "",
            reasoning=data.get("reasoning", ""),
            recused=data.get("recused", False),
            conflict_note=data.get("conflict_note", ""),
            minority_opinion=data.get("minority_opinion", ""),
        )
    except ValidationError as error:
        _errors(request, error)
    except services.EthicsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Ihr Votum ist gespeichert."))
    return redirect(review.get_absolute_url() + "#beratung")


@require_POST
@staff_required
def condition_add(request, pk):
    review = permissions.get_review_for_user(request.user, pk)
    if services.vote_refusal(request.user, review):
        raise PermissionDenied
    form = ConditionForm(request.POST, owners=_board_members(review))
    if form.is_valid():
        try:
            services.add_condition(review, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors(request, error)
        except services.EthicsError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Auflage hinzugefügt."))
    else:
        messages.error(request, " ".join(" ".join(e) for e in form.errors.values()))
    return redirect(review.get_absolute_url() + "#auflagen")


@require_POST
@staff_required
def review_close(request, pk):
    review = permissions.get_review_for_user(request.user, pk)
    if services.vote_refusal(request.user, review):
        raise PermissionDenied  # who may not vote may not close; a missing quorum is said on the page
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(e) for e in form.errors.values()))
        return redirect(review.get_absolute_url() + "#abschluss")
    try:
        review = services.close_review(review, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        _errors(request, error)
    except services.EthicsError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Die Prüfung ist abgeschlossen: %(outcome)s.") % {"outcome": review.get_outcome_display()}
        )
    return redirect(review.get_absolute_url())


@require_POST
@staff_required
def condition_complete(request, pk):
    condition = get_object_or_404(Condition.objects.select_related("review"), pk=pk)
    review = permissions.get_review_for_user(request.user, condition.review_id)
    if request.user.pk != condition.owner_id and not services.is_board_member(request.user, review):
        raise PermissionDenied
    form = CompleteConditionForm(request.POST)
    if form.is_valid():
        try:
            services.complete_condition(condition, by=request.user, evidence=form.cleaned_data["evidence"])
        except ValidationError as error:
            _errors(request, error)
        except services.EthicsError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Die Auflage ist als erledigt vermerkt."))
    else:
        messages.error(request, _("Bitte belegen Sie, wie die Auflage erfüllt ist."))
    return redirect(review.get_absolute_url() + f"#auflage-{condition.pk}")


@require_GET
@staff_required
def dataset_review(request, name):
    """From a dataset page to its newest review the user may see."""
    review = permissions.visible_reviews(request.user).filter(dataset__name=name).order_by("-opened_at").first()
    if review is None:
        raise Http404
    return redirect(review.get_absolute_url())


# ---------------------------------------------------------------------------
# Staff: data uses


def _data_use_form(request, instance=None):
    organisations = permissions.data_use_organisations(request.user)
    datasets = Dataset.objects.filter(publisher__in=organisations.values("pk")).order_by("title")
    return DataUseForm(request.POST or None, instance=instance, organisations=organisations, datasets=datasets)


@staff_required
def data_use_create(request):
    form = _data_use_form(request)
    if request.method == "POST" and form.is_valid():
        data_use = services.create_data_use(
            by=request.user, fields=form.cleaned_data, datasets=form.cleaned_data["datasets"]
        )
        messages.success(request, _("Die Datennutzung ist angelegt."))
        return redirect(data_use.get_absolute_url())
    return render(request, "ethics/data_use_form.html", {"form": form})


@staff_required
def data_use_edit(request, pk):
    data_use = permissions.get_data_use_for_user(request.user, pk)
    if not permissions.can_edit_data_use(request.user, data_use):
        raise PermissionDenied
    form = _data_use_form(request, instance=data_use)
    if request.method == "POST" and form.is_valid():
        data_use = services.update_data_use(
            data_use, by=request.user, fields=form.cleaned_data, datasets=form.cleaned_data["datasets"]
        )
        messages.success(request, _("Die Datennutzung ist gespeichert."))
        return redirect(data_use.get_absolute_url())
    return render(request, "ethics/data_use_form.html", {"form": form, "data_use": data_use})


@require_GET
@staff_required
def data_use_detail(request, pk):
    data_use = permissions.get_data_use_for_user(request.user, pk)
    reviews = permissions.visible_reviews(request.user).filter(data_use=data_use).order_by("-opened_at")
    return render(
        request,
        "ethics/data_use_detail.html",
        {
            "data_use": data_use,
            "datasets": data_use.datasets.all(),
            "reviews": reviews,
            "can_edit": permissions.can_edit_data_use(request.user, data_use),
            "has_open_review": any(r.status != ReviewStatus.COMPLETED for r in reviews),
        },
    )


@require_POST
@staff_required
def data_use_open_review(request, pk):
    data_use = permissions.get_data_use_for_user(request.user, pk)
    if not permissions.can_open_review(request.user, data_use):
        raise PermissionDenied
    try:
        review = services.open_review(data_use, by=request.user)
    except services.EthicsError as error:
        messages.error(request, str(error))
        return redirect(data_use.get_absolute_url())
    messages.success(request, _("Die Ethikprüfung ist eröffnet. Bitte beantworten Sie den Fragebogen."))
    return redirect(review.get_absolute_url())


# ---------------------------------------------------------------------------
# Public: summaries of completed reviews only


@require_GET
def public_list(request):
    return render(request, "ethics/public_list.html", {"summaries": services.public_summaries(limit=200)})


@require_GET
def public_detail(request, pk):
    review = get_object_or_404(
        EthicsReview.objects.completed().select_related("organisation", "dataset", "data_use"), pk=pk
    )
    return render(request, "ethics/public_detail.html", {"summary": services.public_summary(review)})
