"""What /api/v1/data-requests/ shows: exactly what the portal's pages show of a data
request, never the requester's e-mail address."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Dataset

from ..models import DataRequest, DataRequestStatus


class DataRequestSerializer(serializers.ModelSerializer):
    """A data request as the portal shows it. `dataset` is only named while it is published."""

    status_label = serializers.CharField(source="get_status_display", read_only=True)
    decline_ground_label = serializers.SerializerMethodField()
    dataset = serializers.CharField(source="published_dataset_name", read_only=True, allow_null=True)
    dataset_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = DataRequest
        fields = [
            "id",
            "title",
            "description",
            "status",
            "status_label",
            "created",
            "answer",
            "answered_at",
            "decline_ground",
            "decline_ground_label",
            "dataset",
            "dataset_url",
            "url",
        ]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_decline_ground_label(self, data_request) -> str:
        return self.context.get("ground_labels", {}).get(data_request.decline_ground, "")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_dataset_url(self, data_request) -> str | None:
        name = data_request.published_dataset_name
        return self._absolute(reverse("portal:dataset_detail", args=[name])) if name else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, data_request) -> str:
        return self._absolute(data_request.get_absolute_url())


class DataRequestCreateSerializer(serializers.Serializer):
    """A wish for data, from anyone (the schema of the request; the portal's form
    checks it). The e-mail address is only used for the confirmation and the answer;
    it is never shown."""

    title = serializers.CharField(max_length=200, help_text=_("Welche Daten wünschen Sie sich?"))
    description = serializers.CharField(
        max_length=4000, help_text=_("Wofür möchten Sie die Daten nutzen? Was sollten sie enthalten?")
    )
    email = serializers.EmailField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=_("Nur für die Eingangsbestätigung und unsere Antwort; sie wird nicht veröffentlicht."),
    )


class TriageSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DataRequestStatus.choices)
    answer = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    dataset = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Dataset.objects.published(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Kurzname des veröffentlichten Datensatzes; nur beim Status „veröffentlicht“."),
        error_messages={"does_not_exist": _("Bitte verknüpfen Sie einen veröffentlichten Datensatz.")},
    )
    decline_ground = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Code eines Ausschlussgrunds; nur beim Status „abgelehnt“."),
    )
