from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatastoreConfig(AppConfig):
    name = "datastore"
    verbose_name = _("Abfragbare Tabellen")

    def ready(self):
        from governance import audit, history

        from . import charts, receivers
        from .models import ChartView

        receivers.connect()
        # Charts are journaled through their history, filed under the dataset's publisher
        # so its auditors see them, with their reasons in words.
        history.register_reason_labels(charts.REASON_LABELS)
        audit.register(ChartView, organisation=lambda chart: chart.distribution.dataset.publisher_id)
