from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def dataset_history_url(pk, version_id) -> str | None:
    from django.urls import NoReverseMatch, reverse

    from .models import Dataset

    name = Dataset.objects.filter(pk=pk).values_list("name", flat=True).first()
    try:
        return reverse("catalog:dataset_history", args=[name]) if name else None
    except NoReverseMatch:
        return None


def ensure_themes(sender, **kwargs):
    """The EU data themes are reference rows every database needs. Created after each
    migrate, and after each test flush (which sends post_migrate again)."""
    from .models import Theme
    from .vocabularies import DataTheme

    existing = set(Theme.objects.values_list("code", flat=True))
    Theme.objects.bulk_create([Theme(code=code) for code in DataTheme.values if code not in existing])


# The change reasons of the publication workflow ("catalog.workflow.<action>"), for the
# audit journal and the version history; without them both show the bare codes.
WORKFLOW_REASON_LABELS = {
    "catalog.workflow.submitted": _("Zur Prüfung eingereicht"),
    "catalog.workflow.signed_off": _("Freigabe durch die Dateneigentümer:in"),
    "catalog.workflow.ethics_returned": _("Vom Datenethikbeirat zur Überarbeitung zurückgegeben"),
    "catalog.workflow.ethics_decided": _("Ethikprüfung entschieden"),
    "catalog.workflow.approved": _("Rechtlich freigegeben"),
    "catalog.workflow.refused": _("Veröffentlichung abgelehnt"),
    "catalog.workflow.returned": _("Zur Überarbeitung zurückgegeben"),
    "catalog.workflow.published": _("Veröffentlicht"),
    "catalog.workflow.withdrawn": _("Veröffentlichung zurückgezogen"),
    "catalog.workflow.rereview_requested": _("Erneute Prüfung veranlasst"),
    "catalog.workflow.unpublished": _("Veröffentlichung aufgehoben, erneute Prüfung"),
    "catalog.workflow.rereview": _("Erneute Prüfung"),
    "catalog.workflow.rereview_confirmed": _("Veröffentlichung nach erneuter Prüfung bestätigt"),
    "catalog.workflow.harvest_published": _("Aus dem Harvesting veröffentlicht"),
    "catalog.workflow.harvest_withdrawn": _("An der Harvesting-Quelle entfernt und zurückgezogen"),
    # Pending changes of approved and published datasets (catalog.changes)
    "catalog.change.opened": _("Änderung begonnen"),
    "catalog.change.edited": _("Änderung bearbeitet"),
    "catalog.change.distribution_added": _("Datei zur Änderung hinzugefügt"),
    "catalog.change.distribution_removed": _("Datei zum Entfernen vorgemerkt"),
    "catalog.change.submitted": _("Änderung zur Prüfung eingereicht"),
    "catalog.change.signed_off": _("Änderung von Dateneigentümer:in freigegeben"),
    "catalog.change.approved": _("Änderung freigegeben"),
    "catalog.change.applied": _("Freigegebene Änderung übernommen"),
    "catalog.change.returned": _("Änderung zurückgegeben"),
    "catalog.change.ethics_decided": _("Ergebnis der Ethikprüfung zur Änderung"),
    "catalog.change.scheduled": _("Änderung freigegeben, Übernahme zum Termin (Sperrfrist)"),
    "catalog.change.discarded": _("Änderung verworfen"),
    "catalog.change.distribution_approved": _("Datei mit der Änderung freigegeben"),
    "catalog.change.distribution_replaced": _("Datei durch freigegebene Fassung ersetzt"),
    "catalog.distribution.blocked": _("Datei nach der Geheimhaltungsprüfung gesperrt"),
}


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Datenkatalog")

    def ready(self):
        post_migrate.connect(ensure_themes, sender=self)

        # The audit journal (governance) files catalog events under the publisher, so
        # each organisation's auditors see them. Dataset and Distribution are journaled
        # through their history; Classification has none (its rows are the versions),
        # so its saves are journaled directly.
        from governance import audit, history, inbox

        from . import inbox as catalog_inbox

        history.register_reason_labels(WORKFLOW_REASON_LABELS)
        # The notes of these reasons are codes of a vocabulary: shown in its words.
        from governance.vocabularies import PublicationForm

        from .models import EthicsOutcome

        history.register_reason_notes(
            {
                "catalog.workflow.approved": PublicationForm,
                "catalog.workflow.refused": PublicationForm,
                "catalog.workflow.ethics_decided": EthicsOutcome,
                "catalog.change.ethics_decided": EthicsOutcome,
            }
        )
        inbox.register_task_provider(catalog_inbox.tasks_for)
        from . import changes

        inbox.register_task_provider(changes.tasks_for)
        from .quality import inbox as quality_inbox

        inbox.register_task_provider(quality_inbox.tasks_for)
        # Overdue reviews and updates, broken links on the governance admins' start page.
        from .quality import overview

        overview.register()

        from .models import Classification, Dataset, DatasetChange, Distribution

        audit.register(Dataset, organisation=lambda dataset: dataset.publisher_id, version_url=dataset_history_url)
        audit.register(Distribution, organisation=lambda distribution: distribution.dataset.publisher_id)
        audit.register(DatasetChange, organisation=lambda change: change.dataset.publisher_id)
        audit.register(
            Classification,
            organisation=lambda classification: classification.dataset.publisher_id,
            actor=lambda classification: classification.classified_by,
            track_saves=True,
        )
        # Harvest sources (history-tracked): filed under the source's organisation.
        from .models import HarvestSource

        audit.register(HarvestSource, organisation=lambda source: source.default_organisation_id)

        # The quality score follows every change of a dataset, its keywords and themes,
        # and its distributions; a new or changed external address is checked.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .receivers import block_public_file, datasets_created, distribution_changed, rereview, rescore_after_change
        from .signals import datasets_created as datasets_created_signal
        from .signals import decision_inputs_changed, small_cells_found

        post_save.connect(rescore_after_change, sender=Dataset, dispatch_uid="quality_dataset_saved")
        post_save.connect(distribution_changed, sender=Distribution, dispatch_uid="quality_distribution_saved")
        post_delete.connect(distribution_changed, sender=Distribution, dispatch_uid="quality_distribution_deleted")
        for through in (Dataset.keywords.through, Dataset.themes.through):
            m2m_changed.connect(rescore_after_change, sender=through, dispatch_uid=f"quality_{through.__name__}")
        datasets_created_signal.connect(datasets_created, sender=Dataset, dispatch_uid="catalog_datasets_created")
        decision_inputs_changed.connect(rereview, sender=Dataset, dispatch_uid="catalog_rereview")
        small_cells_found.connect(block_public_file, sender=Distribution, dispatch_uid="catalog_block_public_file")

        # Celery tasks live beside the services they wrap; importing those modules here
        # registers them in the worker, which autodiscovers only catalog.tasks.
        from .harvest import service as harvest_service  # noqa: F401
        from .imports import service as import_service  # noqa: F401
        from .quality import reminders  # noqa: F401
