"""Keep the search index current: every save of a dataset's title or description and
every change of its keywords rewrites its search document, in the same transaction."""

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from catalog.models import Dataset

from . import services

INDEXED_FIELDS = {"title", "description"}


@receiver(post_save, sender=Dataset, dispatch_uid="portal.index.dataset")
def index_saved_dataset(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if created or update_fields is None or INDEXED_FIELDS & set(update_fields):
        services.index_dataset(instance.pk)


@receiver(m2m_changed, sender=Dataset.keywords.through, dispatch_uid="portal.index.keywords")
def index_changed_keywords(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # keyword.datasets changed: reindex those datasets
        for pk in pk_set or ():
            services.index_dataset(pk)
    else:
        services.index_dataset(instance.pk)
