"""The OpenAPI schema class of the REST API (settings: DEFAULT_SCHEMA_CLASS). Separate
from core.api because drf-spectacular's AutoSchema imports DRF's generic views, which
themselves load core.api's pagination class."""

import copy

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from .api import PublicReadOnly

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _as_stored(field):
    """The field, allowing "" and null in answers where its model field does. DRF drops
    allow_blank from read-only model fields, and a declared read-only field (a slug of a
    relation, say) does not know that the relation is optional, so the schema would
    promise a URL, a choice or a name where the answer is "" or null."""
    if not field.read_only:
        return field
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or "." in field.source:
        return field
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return field
    if not model_field.concrete:
        return field
    allow_blank = model_field.blank and isinstance(field, serializers.CharField | serializers.ChoiceField)
    if (allow_blank and not field.allow_blank) or (model_field.null and not field.allow_null):
        field = copy.copy(field)
        field.allow_blank = allow_blank or getattr(field, "allow_blank", False)
        field.allow_null = model_field.null or field.allow_null
    return field


class ErrorSerializer(serializers.Serializer):
    """What core.api.exception_handler answers for everything but field errors."""

    detail = serializers.CharField()
    code = serializers.CharField(required=False)

    class Meta:
        ref_name = "Error"


FIELD_ERRORS = {
    "type": "object",
    "description": _("Die Fehler je Feld (oder `non_field_errors`), jeweils als Liste von Meldungen."),
    "additionalProperties": {},
}
ERROR_RESPONSES = {
    "400": OpenApiResponse(FIELD_ERRORS, description=_("Ungültige Eingabe")),
    "401": OpenApiResponse(
        ErrorSerializer, description=_("Nicht angemeldet, oder das Token ist unbekannt, widerrufen oder abgelaufen")
    ),
    "403": OpenApiResponse(ErrorSerializer, description=_("Keine Berechtigung")),
    "404": OpenApiResponse(ErrorSerializer, description=_("Nicht gefunden oder für Sie nicht sichtbar")),
    "409": OpenApiResponse(ErrorSerializer, description=_("Konflikt mit dem aktuellen Stand")),
}


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, which also marks reads of `PublicReadOnly` endpoints as
    possible without credentials (it only knows DRF's own permission classes), and
    documents the error answers every client meets (drf-spectacular documents only
    success): 400 field errors, 401, 403, 404 and 409 with their bodies."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        return super()._map_serializer_field(_as_stored(field), direction, bypass_extensions)

    def _insert_field_validators(self, field, schema):
        return super()._insert_field_validators(_as_stored(field), schema)

    def get_auth(self):
        auths = super().get_auth()
        if self._is_public_read() and {} not in auths:
            auths.append({})
        return auths

    def _is_public_read(self) -> bool:
        public = any(isinstance(permission, PublicReadOnly) for permission in self.view.get_permissions())
        return public and self.method in permissions.SAFE_METHODS

    def _is_open_to_anyone(self) -> bool:
        return self._is_public_read() or any(
            isinstance(permission, permissions.AllowAny) for permission in self.view.get_permissions()
        )

    def _error_codes(self) -> list[str]:
        is_write = self.method in WRITES
        is_list = self.method == "GET" and self._is_list_view()
        has_query = is_list and (self._get_paginator() is not None or self._get_filter_parameters())
        codes = ["401"]  # a token that is unknown, revoked or expired is refused everywhere
        if is_write or has_query:
            codes.append("400")
        if not self._is_open_to_anyone():
            codes.append("403")
        # Objects named in the path may not exist; an invalid cursor is a 404 too (DRF).
        if "{" in self.path or (is_list and self._get_paginator() is not None):
            codes.append("404")
        if is_write:
            codes.append("409")
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            documented = self._get_response_for_code(ERROR_RESPONSES[code], code, direction=direction)
            if code not in responses:
                responses[code] = documented
            elif "content" not in responses[code]:
                # A view named the case (e.g. "Versionskonflikt") but not the body.
                responses[code] = {**documented, "description": responses[code]["description"]}
        return responses
