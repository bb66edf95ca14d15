# Replaced by the inventory import (in progress).
from django.http import Http404


def _missing(*args, **kwargs):
    raise Http404


import_start = import_template = import_detail = import_progress = _missing
