"""Filters of /api/v1/data-requests/ (the same as the portal's list)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ..models import DataRequest, DataRequestStatus


class DataRequestFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DataRequestStatus.choices, label=_("Status"))

    class Meta:
        model = DataRequest
        fields = []
