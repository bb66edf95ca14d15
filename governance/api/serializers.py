"""Representations of the governance objects. Writes are validated here field by field
and carried out by governance.services in the views, as in the web UI."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS

from governance.models import (
    Decision,
    Organisation,
    PolicyDocument,
    PolicySection,
    PolicyVersion,
    Role,
    Rule,
    RuleVersion,
)
from governance.permissions import organisations_with_role, possible_parents
from governance.rules import ConditionError, ReviewRole, validate_condition


@extend_schema_field(OpenApiTypes.STR)
class ContentTypeField(serializers.Field):
    """A content type as `app_label.model`, e.g. `catalog.dataset`."""

    def to_representation(self, value):
        return f"{value.app_label}.{value.model}" if value is not None else None


@extend_schema_field(OpenApiTypes.STR)
class UsernameField(serializers.Field):
    def to_representation(self, value):
        return value.get_username() if value is not None else None


def organisation_slugs():
    return serializers.SlugRelatedField(slug_field="slug", queryset=Organisation.objects.all())


# ---------------------------------------------------------------------------
# Organisations


class OrganisationSerializer(serializers.ModelSerializer):
    """What the network publishes about a member; `version` is the optimistic lock of
    an edit: send the version you read, get 409 if someone changed it since."""

    type = serializers.ChoiceField(source="org_type", choices=Organisation._meta.get_field("org_type").choices)
    parent = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    legal_entity = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    version = serializers.IntegerField(min_value=1, help_text=_lazy("Die Version, auf der eine Änderung beruht."))
    reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=300, help_text=_lazy("Grund der Änderung")
    )

    class Meta:
        model = Organisation
        fields = [
            "slug",
            "name",
            "type",
            "parent",
            "legal_entity",
            "municipality",
            "municipality_key",
            "state",
            "dng_role",
            "data_protection_regime",
            "dpo_contact",
            "contributor_id",
            "website",
            "email",
            "version",
            "reason",
        ]
        read_only_fields = ["slug"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.instance, Organisation):
            # As in the web form: an organisation is neither its own parent nor its own
            # legal entity.
            others = Organisation.objects.exclude(pk=self.instance.pk)
            self.fields["legal_entity"].queryset = others
            user = getattr(self.context.get("request"), "user", None)
            self.fields["parent"].queryset = (
                possible_parents(user, self.instance) if user is not None else Organisation.objects.none()
            )
            self.fields["parent"].error_messages["does_not_exist"] = _(
                "Unter „{value}“ können Sie die Organisation nicht einordnen: Dort haben Sie keine Leitungs- oder "
                "Governance-Rolle."
            )

    def validate(self, attrs):
        if self.instance is not None and "version" not in attrs:
            raise serializers.ValidationError(
                {"version": [_("Bitte senden Sie die Version mit, auf der Ihre Änderung beruht.")]}
            )
        return attrs


# ---------------------------------------------------------------------------
# Policies and rules


class PolicySectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicySection
        fields = ["number", "heading", "text", "position"]


class RuleVersionSerializer(serializers.ModelSerializer):
    """A rule of a draft or adopted policy version. In a draft it can be written: the
    section is named by its number (e.g. „§ 2 Abs. 1“), the condition is the JSON the
    rule editor explains."""

    code = serializers.RegexField(
        r"^[A-Z][A-Z0-9-]*$",
        source="rule.code",
        max_length=40,
        help_text=_lazy("Bleibt über alle Versionen gleich, z. B. R-PERSONENBEZUG."),
    )
    section = serializers.SlugRelatedField(slug_field="number", queryset=PolicySection.objects.none())
    review_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=ReviewRole.choices), required=False, allow_empty=True
    )
    condition = serializers.JSONField(help_text=_lazy("Ein Vergleich {field, op, value} oder all/any/not darüber."))

    class Meta:
        model = RuleVersion
        fields = [
            "code",
            "number",
            "section",
            "title",
            "condition",
            "effect",
            "ground",
            "alternative",
            "review_roles",
            "conditions_text",
            "rereview_months",
            "explanation",
        ]
        read_only_fields = ["number"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        policy_version = self.context.get("policy_version")
        if policy_version is not None:
            self.fields["section"].queryset = policy_version.sections.all()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # A rule keeps its code; an edit names it in the address.
            self.fields["code"].read_only = True

    def validate_condition(self, value):
        try:
            validate_condition(value)
        except ConditionError as error:
            raise serializers.ValidationError(str(error)) from None
        return value


class PolicyVersionSummarySerializer(serializers.ModelSerializer):
    based_on = serializers.SlugRelatedField(slug_field="number", read_only=True)
    created_by = UsernameField(read_only=True)

    class Meta:
        model = PolicyVersion
        fields = [
            "number",
            "title",
            "status",
            "change_note",
            "adopted_by",
            "adopted_on",
            "resolution_number",
            "valid_from",
            "valid_until",
            "based_on",
            "created_by",
            "created",
        ]


class PolicyVersionSerializer(PolicyVersionSummarySerializer):
    """One version with its text, its sections and its rules. Title, text and change
    note can be written while it is a draft."""

    sections = PolicySectionSerializer(many=True, read_only=True)
    rule_versions = RuleVersionSerializer(many=True, read_only=True)

    class Meta(PolicyVersionSummarySerializer.Meta):
        fields = [*PolicyVersionSummarySerializer.Meta.fields, "body", "sections", "rule_versions"]
        extra_kwargs = {"title": {"required": False}, "body": {"required": False, "allow_blank": True}}


class AdoptSerializer(serializers.Serializer):
    adopted_by = serializers.CharField(
        max_length=200, help_text=_lazy("Zum Beispiel Gemeinderat, Oberbürgermeister:in.")
    )
    adopted_on = serializers.DateField()
    resolution_number = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class InForceSerializer(serializers.Serializer):
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_lazy("ausschließlich; leer: bis eine neue Fassung gilt"),
    )


class RepealSerializer(serializers.Serializer):
    on = serializers.DateField(help_text=_lazy("Ab diesem Tag gilt die Fassung nicht mehr."))
    reason = serializers.CharField(max_length=300)


class PolicyDocumentSerializer(serializers.ModelSerializer):
    """A strategy, statute, instruction … with its versions. Creating one also starts
    its first draft, as in the web UI."""

    issuer = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.none(),
        allow_null=True,
        required=False,
        help_text=_lazy(
            "Leer: für den ganzen Stadtverbund. Sonst eine Organisation, in der Sie Governance-Admin sind."
        ),
    )
    applies_to = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), many=True, required=False
    )
    versions = PolicyVersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = PolicyDocument
        fields = ["slug", "kind", "title", "description", "issuer", "applies_to", "created", "versions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.method not in SAFE_METHODS:
            # As in the web form: one issues documents only for organisations one is
            # governance admin of.
            self.fields["issuer"].queryset = organisations_with_role(request.user, Role.GOVERNANCE_ADMIN)


class RuleVersionEntrySerializer(RuleVersionSerializer):
    """A version of a rule in the rule's history, with the policy version it belongs to."""

    document = serializers.SlugRelatedField(source="policy_version.document", slug_field="slug", read_only=True)
    policy_version = serializers.SlugRelatedField(slug_field="number", read_only=True)
    policy_status = serializers.CharField(source="policy_version.status", read_only=True)
    # A draft or adopted version is not (yet) in force: no dates.
    valid_from = serializers.DateField(source="policy_version.valid_from", read_only=True, allow_null=True)
    valid_until = serializers.DateField(source="policy_version.valid_until", read_only=True, allow_null=True)

    class Meta(RuleVersionSerializer.Meta):
        fields = [
            *RuleVersionSerializer.Meta.fields,
            "document",
            "policy_version",
            "policy_status",
            "valid_from",
            "valid_until",
        ]


class RuleSerializer(serializers.ModelSerializer):
    document = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    versions = RuleVersionEntrySerializer(many=True, read_only=True)

    class Meta:
        model = Rule
        fields = ["code", "document", "created", "versions"]


# ---------------------------------------------------------------------------
# Decisions


class RuleVersionReferenceSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="rule.code")

    class Meta:
        model = RuleVersion
        fields = ["code", "number"]


class PolicyVersionReferenceSerializer(serializers.ModelSerializer):
    document = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = PolicyVersion
        fields = ["document", "number"]


class DecisionSerializer(serializers.ModelSerializer):
    """A decision as recorded, append-only, with the exact versions it was made on."""

    subject_type = ContentTypeField(read_only=True)
    subject_version_type = ContentTypeField(read_only=True)
    classification_type = ContentTypeField(read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    actor = UsernameField(read_only=True)
    exclusion_grounds = serializers.ListField(child=serializers.CharField(), read_only=True)
    required_reviews = serializers.ListField(child=serializers.CharField(), read_only=True)
    conditions = serializers.ListField(child=serializers.CharField(), read_only=True)
    evaluation = serializers.DictField(
        read_only=True, help_text=_lazy("Die Auswertung der Regeln, wie sie gespeichert wurde.")
    )
    rule_versions = RuleVersionReferenceSerializer(many=True, read_only=True)
    policy_versions = PolicyVersionReferenceSerializer(many=True, read_only=True)

    class Meta:
        model = Decision
        fields = [
            "id",
            "kind",
            "subject_type",
            "subject_id",
            "subject_repr",
            "subject_version_type",
            "subject_version_id",
            "classification_type",
            "classification_id",
            "organisation",
            "outcome",
            "reasons",
            "exclusion_grounds",
            "required_reviews",
            "conditions",
            "rereview_on",
            "evaluation",
            "rule_versions",
            "policy_versions",
            "actor",
            "decided_at",
        ]
        read_only_fields = fields
