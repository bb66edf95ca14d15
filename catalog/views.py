# Replaced by the catalog UI (in progress).
from django.http import Http404


def _missing(*args, **kwargs):
    raise Http404


dataset_list = dataset_create = dataset_detail = dataset_edit = dataset_classify = _missing
dataset_history = distribution_create = distribution_file = distribution_delete = _missing
