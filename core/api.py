"""What every REST endpoint of /api/v1/ shares: cursor pagination, the mapping of the
services' exceptions to HTTP answers, and the explicit marker for public endpoints.

It knows no app: every service error derives from `core.errors`, so the mapping to
HTTP answers holds for every app, present and future.

Views call the same services as the HTML views; they never change state themselves.
Permissions deny by default (settings: IsAuthenticated); an endpoint that anonymous
clients may read says so with `PublicReadOnly` and must start from
`Dataset.objects.published()` (or an equally public queryset) for them.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, pagination, parsers, permissions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from . import safejson
from .errors import ConflictError, DomainError, PermissionRefused


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: page 1,000 costs what page 1 does, and a row inserted while a
    client pages never shifts the pages. Views set `ordering` to a unique column set."""

    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500
    ordering = "-pk"

    def get_ordering(self, request, queryset, view):
        # DRF reads only the paginator's ordering (or an ordering filter's); here the
        # view's own `ordering` wins unless the client may choose one.
        ordering = super().get_ordering(request, queryset, view)
        if not any(hasattr(backend, "get_ordering") for backend in getattr(view, "filter_backends", [])):
            ordering = getattr(view, "ordering", None) or ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)


class PublicReadOnly(permissions.BasePermission):
    """Anyone may read; writing needs an authenticated user (and the view's own
    object-level check). Use only on endpoints whose queryset is public for anonymous
    clients."""

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or bool(request.user and request.user.is_authenticated)


def _validation_detail(error: DjangoValidationError):
    if hasattr(error, "error_dict"):
        return {field: [str(message) for message in messages] for field, messages in error.message_dict.items()}
    return {"non_field_errors": [str(message) for message in error.messages]}


def exception_handler(exc, context):
    """DRF's handler, plus the services' own exceptions: field errors as 400, a step that
    is not the person's (missing role, four eyes) as 403, conflicts (with the resource's
    current state: reload and retry) as 409 with the service's German (or English) message."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_validation_detail(exc))
    elif isinstance(exc, PermissionRefused):  # checked first: a refusal may be a ConflictError of its app too
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, ConflictError):
        return Response({"detail": str(exc), "code": "conflict"}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, DomainError):
        exc = exceptions.ValidationError({"non_field_errors": [str(exc)]})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with `core.safejson`'s limits: too deep or with NUL is a 400
    (ParseError) with a German message, never a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return None
        encoding = parsers.get_encoding(parser_context or {})
        parse_constant = parsers.json.strict_constant if self.strict else None
        try:
            return safejson.loads(stream.read().decode(encoding), parse_constant=parse_constant)
        except safejson.JSONRefused as error:
            raise exceptions.ParseError(str(error)) from error
        except ValueError as error:  # DRF's own wording for JSON it cannot read
            raise exceptions.ParseError(f"JSON parse error - {error}") from error


def bad_input_response(message: str) -> JsonResponse:
    """DRF's shape for a request refused before the view (core.middleware): 400 with
    `detail` and `code`, as a ParseError would answer."""
    return JsonResponse({"detail": message, "code": "bad_input"}, status=status.HTTP_400_BAD_REQUEST)
