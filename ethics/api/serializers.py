"""What /api/v1/ethics-reviews/ and /api/v1/data-uses/ show and accept. The services
check the rules (who answers, who votes, quorum); these only check shapes."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Dataset, EthicsOutcome
from governance.models import Organisation

from ..models import Condition, DataUse, EthicsReview, Question, Vote

User = get_user_model()


class ReferralCriterionSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class EthicsReviewSerializer(serializers.ModelSerializer):
    """A review as the list shows it."""

    subject_kind = serializers.SerializerMethodField()
    subject_title = serializers.CharField(source="subject", read_only=True)
    dataset = serializers.SlugRelatedField(slug_field="name", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    questionnaire = serializers.IntegerField(source="questionnaire.number", read_only=True)
    applicant = serializers.SlugRelatedField(slug_field="username", read_only=True)
    referral_criteria = ReferralCriterionSerializer(many=True, read_only=True)
    counted_votes = serializers.IntegerField(read_only=True)

    class Meta:
        model = EthicsReview
        fields = [
            "id",
            "subject_kind",
            "subject_title",
            "dataset",
            "data_use",
            "organisation",
            "questionnaire",
            "status",
            "applicant",
            "opened_at",
            "opened_automatically",
            "submitted_at",
            "referral_criteria",
            "hard_stop",
            "quorum",
            "counted_votes",
            "outcome",
            "next_review_on",
            "completed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=[("dataset", "dataset"), ("data_use", "data_use")]))
    def get_subject_kind(self, review) -> str:
        return "dataset" if review.dataset_id else "data_use"


class EthicsAnswerSerializer(serializers.ModelSerializer):
    """A question of the review's questionnaire with the answer given so far (empty if none)."""

    group_label = serializers.CharField(source="get_group_display", read_only=True)
    value = serializers.SerializerMethodField()
    text_answer = serializers.SerializerMethodField()

    class Meta:
        model = Question
        fields = ["code", "group", "group_label", "kind", "text", "explanation", "source", "value", "text_answer"]
        read_only_fields = fields

    def _answer(self, question):
        return self.context.get("answers", {}).get(question.pk)

    def get_value(self, question) -> str:
        answer = self._answer(question)
        return answer.value if answer else ""

    def get_text_answer(self, question) -> str:
        answer = self._answer(question)
        return answer.text if answer else ""


class EthicsVoteSerializer(serializers.ModelSerializer):
    member = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Vote
        fields = [
            "member",
            "vote",
            "reasoning",
            "recused",
            "conflict_note",
            "minority_opinion",
            "in_minority",
            "cast_at",
        ]
        read_only_fields = fields


class EthicsConditionSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="username", read_only=True)
    completed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Condition
        fields = ["id", "text", "owner", "due_on", "done_on", "evidence", "completed_by", "is_overdue", "created"]
        read_only_fields = fields


class EthicsReviewDetailSerializer(EthicsReviewSerializer):
    """A review with its questionnaire, votes and conditions, and what the user may do now."""

    answered_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    completed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    questions = serializers.SerializerMethodField()
    votes = EthicsVoteSerializer(many=True, read_only=True)
    conditions = EthicsConditionSerializer(many=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()

    class Meta(EthicsReviewSerializer.Meta):
        fields = [
            *EthicsReviewSerializer.Meta.fields,
            "answered_by",
            "reasoning",
            "public_summary",
            "completed_by",
            "questions",
            "votes",
            "conditions",
            "allowed_actions",
        ]
        read_only_fields = fields

    @extend_schema_field(EthicsAnswerSerializer(many=True))
    def get_questions(self, review) -> list:
        return EthicsAnswerSerializer(self.context["questions"], many=True, context=self.context).data

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=[("answer", "answer"), ("vote", "vote"), ("close", "close")])
        )
    )
    def get_allowed_actions(self, review) -> list:
        return self.context["allowed_actions"]


# ---------------------------------------------------------------------------
# Writes


class AnswerInputSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    text = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class AnswersInputSerializer(serializers.Serializer):
    """Answers by question code. Questions not named keep their answer; `submit`
    hands the questionnaire to the board (then every question must be answered)."""

    answers = serializers.DictField(child=AnswerInputSerializer(), help_text=_("Antworten nach Kennung der Frage."))
    submit = serializers.BooleanField(required=False, default=False)


class VoteInputSerializer(serializers.Serializer):
    vote = serializers.ChoiceField(choices=EthicsOutcome.choices, required=False, allow_blank=True, default="")
    reasoning = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    minority_opinion = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    recused = serializers.BooleanField(required=False, default=False)
    conflict_note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConditionInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)
    owner = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.none(),  # the review's board, stewards and owners; set by the view
        error_messages={"does_not_exist": _("„{value}“ kann für diese Auflage nicht verantwortlich sein.")},
    )
    due_on = serializers.DateField()


class CloseInputSerializer(serializers.Serializer):
    reasoning = serializers.CharField(max_length=5000)
    public_summary = serializers.CharField(
        max_length=5000, help_text=_("Erscheint im Portal. Keine Namen und keine personenbezogenen Daten.")
    )
    next_review_on = serializers.DateField()


class CompleteConditionInputSerializer(serializers.Serializer):
    evidence = serializers.CharField(max_length=5000)


# ---------------------------------------------------------------------------
# Data uses


class DataUseSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.none(),  # the user's organisations; set in __init__
        error_messages={"does_not_exist": _("Für die Organisation „{value}“ können Sie keine Datennutzung anlegen.")},
    )
    datasets = serializers.SlugRelatedField(
        slug_field="name",
        many=True,
        required=False,
        queryset=Dataset.objects.none(),
    )
    applicant = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = DataUse
        fields = [
            "id",
            "title",
            "purpose",
            "organisation",
            "datasets",
            "algorithmic_system",
            "public_space_sensors",
            "commercial_reuse_by_private_partner",
            "applicant",
            "created",
            "modified",
        ]
        read_only_fields = ["id", "applicant", "created", "modified"]

    def __init__(self, *args, organisations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisations is not None:
            self.fields["organisation"].queryset = organisations
            # As on the page: the datasets of the organisations the user works for.
            self.fields["datasets"].child_relation.queryset = Dataset.objects.filter(
                publisher__in=organisations.values("pk")
            )
            self.fields["datasets"].child_relation.error_messages["does_not_exist"] = _(
                "Den Datensatz „{value}“ können Sie hier nicht angeben."
            )
