"""/api/v1/ethics-reviews/ and /api/v1/data-uses/: what the ethics pages offer, for
people holding a role (as the pages); ethics.permissions decides what they see and
ethics.services every step. A step the person may not take is 403, one the review's
state does not allow (not yet submitted, quorum missing, already done) is 409."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from governance.permissions import is_staff_member

from .. import permissions as ethics_permissions
from .. import services
from ..models import Condition, DataUse, EthicsReview, ReviewStatus, Vote
from . import serializers
from .filters import EthicsReviewFilter

REFUSED = OpenApiResponse(description=_lazy("Nicht Ihre Aufgabe"))
CONFLICT = OpenApiResponse(description=_lazy("Im jetzigen Stand der Prüfung nicht möglich"))


class IsStaffMember(permissions.BasePermission):
    """The internal area is for people holding a role somewhere (as governance.views.staff_required)."""

    message = _lazy("Dieser Bereich ist für Mitarbeitende mit einer Rolle.")

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and is_staff_member(request.user))


def refuse(review: EthicsReview, message: str, *, state_ok: bool) -> None:
    """A refusal because of the review's state is a conflict (409), otherwise it is
    about the person (403)."""
    if not state_ok:
        raise services.ConflictError(message)
    raise exceptions.PermissionDenied(message)


def check_board_step(user, review: EthicsReview) -> None:
    message = services.vote_refusal(user, review)
    if message:
        refuse(review, message, state_ok=review.status == ReviewStatus.VOTING)


@extend_schema_view(
    list=extend_schema(summary=_lazy("Ethikprüfungen")),
    retrieve=extend_schema(summary=_lazy("Eine Ethikprüfung mit Fragebogen, Voten und Auflagen")),
)
class EthicsReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsStaffMember]
    serializer_class = serializers.EthicsReviewSerializer
    filterset_class = EthicsReviewFilter
    queryset = EthicsReview.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self):
        reviews = ethics_permissions.visible_reviews(self.request.user).select_related(
            "organisation", "dataset", "data_use", "questionnaire", "applicant", "answered_by", "completed_by"
        )
        if self.action == "list":
            return reviews.annotate(counted_votes=Count("votes", filter=Q(votes__recused=False)))
        return reviews.select_related("dataset__current_classification").prefetch_related(
            Prefetch("votes", queryset=Vote.objects.select_related("member")),
            Prefetch("conditions", queryset=Condition.objects.select_related("owner", "completed_by")),
        )

    def get_serializer_class(self):
        if self.action == "list":
            return serializers.EthicsReviewSerializer
        return serializers.EthicsReviewDetailSerializer

    def _detail(self, review: EthicsReview) -> Response:
        review = self.get_queryset().get(pk=review.pk)
        return Response(self._detail_data(review))

    def _detail_data(self, review: EthicsReview) -> dict:
        user = self.request.user
        review.counted_votes = sum(1 for vote in review.votes.all() if vote.counts)
        allowed = []
        if services.can_answer(user, review):
            allowed.append("answer")
        if services.vote_refusal(user, review) is None:
            allowed.append("vote")
            if services.close_refusal(user, review) is None:
                allowed.append("close")
        context = {
            **self.get_serializer_context(),
            "questions": services.questions_for(review),
            "answers": {answer.question_id: answer for answer in review.answers.all()},
            "allowed_actions": allowed,
        }
        return serializers.EthicsReviewDetailSerializer(review, context=context).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._detail_data(self.get_object()))

    @extend_schema(
        summary=_lazy("Fragebogen beantworten"),
        description=_lazy(
            "Antworten nach Kennung der Frage; nicht genannte Fragen behalten ihre Antwort. Mit `submit` geht der "
            "Fragebogen an den Beirat; dann muss jede Frage beantwortet sein."
        ),
        request=serializers.AnswersInputSerializer,
        responses={200: serializers.EthicsReviewDetailSerializer, 403: REFUSED, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def answers(self, request, pk=None):
        """Save answers; with `submit` the questionnaire goes to the board."""
        review = self.get_object()
        if not services.can_answer(request.user, review):
            refuse(
                review,
                _("Den Fragebogen beantwortet die antragstellende Stelle, solange er offen ist."),
                state_ok=review.status == ReviewStatus.ANSWERING,
            )
        serializer = serializers.AnswersInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        questions = {question.code for question in services.questions_for(review)}
        unknown = sorted(set(serializer.validated_data["answers"]) - questions)
        if unknown:
            raise exceptions.ValidationError({"answers": {code: [_("Unbekannte Frage.")] for code in unknown}})
        # Questions not named keep their answers (the service otherwise empties them).
        answers = {a.question.code: (a.value, a.text) for a in review.answers.select_related("question")}
        for code, given in serializer.validated_data["answers"].items():
            answers[code] = (given["value"], given["text"])
        services.answer(review, by=request.user, answers=answers, submit=serializer.validated_data["submit"])
        return self._detail(review)

    @extend_schema(
        summary=_lazy("Votum abgeben oder Befangenheit erklären"),
        description=_lazy(
            "Für Mitglieder des Datenethikbeirats der Organisation; ein neues Votum ersetzt das alte. Wer befangen "
            "ist, sendet `recused` und `conflict_note`."
        ),
        request=serializers.VoteInputSerializer,
        responses={200: serializers.EthicsVoteSerializer, 403: REFUSED, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def votes(self, request, pk=None):
        """A board member votes (a second vote replaces the first)."""
        review = self.get_object()
        check_board_step(request.user, review)
        serializer = serializers.VoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        vote = services.cast_vote(review, by=request.user, **serializer.validated_data)
        return Response(serializers.EthicsVoteSerializer(vote).data)

    @extend_schema(
        summary=_lazy("Auflage festlegen"),
        description=_lazy("Der Beirat legt während der Beratung fest, wer was bis wann erledigt."),
        request=serializers.ConditionInputSerializer,
        responses={201: serializers.EthicsConditionSerializer, 403: REFUSED, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def conditions(self, request, pk=None):
        """The board attaches a condition while it deliberates."""
        review = self.get_object()
        check_board_step(request.user, review)
        serializer = serializers.ConditionInputSerializer(data=request.data)
        serializer.fields["owner"].queryset = services.condition_owners(review)
        serializer.is_valid(raise_exception=True)
        condition = services.add_condition(review, by=request.user, **serializer.validated_data)
        return Response(serializers.EthicsConditionSerializer(condition).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=_lazy("Auflage als erledigt vermerken"),
        description=_lazy("Die verantwortliche Person oder ein Beiratsmitglied, mit Nachweis."),
        request=serializers.CompleteConditionInputSerializer,
        responses={200: serializers.EthicsConditionSerializer, 403: REFUSED, 409: CONFLICT},
    )
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        url_path=r"conditions/(?P<condition_id>[0-9]+)/complete",
        url_name="condition-complete",
    )
    def complete_condition(self, request, pk=None, condition_id=None):
        """The person responsible (or a board member) marks a condition done, with evidence."""
        review = self.get_object()
        condition = get_object_or_404(review.conditions.all(), pk=condition_id)
        if condition.owner_id != request.user.pk and not services.is_board_member(request.user, review):
            raise exceptions.PermissionDenied(_("Eine Auflage erledigt die verantwortliche Person oder der Beirat."))
        serializer = serializers.CompleteConditionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        condition = services.complete_condition(condition, by=request.user, **serializer.validated_data)
        condition = Condition.objects.select_related("owner", "completed_by").get(pk=condition.pk)
        return Response(serializers.EthicsConditionSerializer(condition).data)

    @extend_schema(
        summary=_lazy("Prüfung abschließen"),
        description=_lazy(
            "Mit der Mehrheit der gültigen Stimmen; das Quorum muss erreicht sein. Ein Datensatz geht danach im "
            "Veröffentlichungsworkflow weiter."
        ),
        request=serializers.CloseInputSerializer,
        responses={200: serializers.EthicsReviewDetailSerializer, 403: REFUSED, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def close(self, request, pk=None):
        """Close the review with the majority of the counted votes (quorum needed)."""
        review = self.get_object()
        check_board_step(request.user, review)
        message = services.close_refusal(request.user, review)
        if message:
            raise services.ConflictError(message)  # the quorum is not reached yet
        serializer = serializers.CloseInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = services.close_review(review, by=request.user, **serializer.validated_data)
        return self._detail(review)


@extend_schema_view(
    list=extend_schema(summary=_lazy("Datennutzungen")),
    retrieve=extend_schema(summary=_lazy("Eine Datennutzung")),
    create=extend_schema(summary=_lazy("Datennutzung anlegen")),
    update=extend_schema(summary=_lazy("Datennutzung ändern")),
    partial_update=extend_schema(summary=_lazy("Datennutzung teilweise ändern")),
)
class DataUseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [IsStaffMember]
    serializer_class = serializers.DataUseSerializer
    queryset = DataUse.objects.none()  # for the schema; get_queryset decides

    def get_queryset(self):
        return (
            ethics_permissions.visible_data_uses(self.request.user)
            .select_related("organisation", "applicant")
            .prefetch_related("datasets")
        )

    def get_serializer(self, *args, **kwargs):
        if self.action in ("create", "update", "partial_update"):
            kwargs["organisations"] = ethics_permissions.data_use_organisations(self.request.user)
        return super().get_serializer(*args, **kwargs)

    def _show(self, data_use: DataUse, status_code=status.HTTP_200_OK) -> Response:
        data_use = self.get_queryset().get(pk=data_use.pk)
        return Response(serializers.DataUseSerializer(data_use).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        datasets = fields.pop("datasets", [])
        data_use = services.create_data_use(by=request.user, fields=fields, datasets=datasets)
        return self._show(data_use, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        data_use = self.get_object()
        if not ethics_permissions.can_edit_data_use(request.user, data_use):
            raise exceptions.PermissionDenied(
                _("Eine Datennutzung ändern die Antragstellenden und Datenverantwortlichen.")
            )
        serializer = self.get_serializer(data_use, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        datasets = fields.pop("datasets", None)
        data_use = services.update_data_use(data_use, by=request.user, fields=fields, datasets=datasets)
        return self._show(data_use)

    @extend_schema(
        summary=_lazy("Ethikprüfung beantragen"),
        description=_lazy("Eröffnet die Prüfung durch den Beirat; eine schon offene Prüfung wird zurückgegeben."),
        request=None,
        responses={
            201: serializers.EthicsReviewSerializer,
            200: OpenApiResponse(serializers.EthicsReviewSerializer, description=_lazy("Eine Prüfung ist schon offen")),
            403: REFUSED,
        },
    )
    @action(detail=True, methods=["post"], url_path="open-review", filter_backends=[])
    def open_review(self, request, pk=None):
        """Open the board's review of the data use (an open one is returned as it is)."""
        data_use = self.get_object()
        already_open = data_use.ethics_reviews.exclude(status=ReviewStatus.COMPLETED).exists()
        try:
            review = services.open_review(data_use, by=request.user)
        except services.EthicsError as error:
            raise exceptions.PermissionDenied(str(error)) from error
        review = (
            EthicsReview.objects.select_related("organisation", "dataset", "data_use", "questionnaire", "applicant")
            .annotate(counted_votes=Count("votes", filter=Q(votes__recused=False)))
            .get(pk=review.pk)
        )
        return Response(
            serializers.EthicsReviewSerializer(review).data,
            status=status.HTTP_200_OK if already_open else status.HTTP_201_CREATED,
        )
