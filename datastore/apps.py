from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatastoreConfig(AppConfig):
    name = "datastore"
    verbose_name = _("Abfragbare Tabellen")

    def ready(self):
        from . import receivers

        receivers.connect()
