"""The OpenAPI schema class of the REST API (settings: DEFAULT_SCHEMA_CLASS). Separate
from config.api because drf-spectacular's AutoSchema imports DRF's generic views, which
themselves load config.api's pagination class."""

from drf_spectacular import openapi
from rest_framework import permissions

from .api import PublicReadOnly


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, which also marks reads of `PublicReadOnly` endpoints as
    possible without credentials (it only knows DRF's own permission classes)."""

    def get_auth(self):
        auths = super().get_auth()
        public = any(isinstance(permission, PublicReadOnly) for permission in self.view.get_permissions())
        if public and self.method in permissions.SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths
