"""The actions of the CKAN Action API (read side), registered by name in ACTIONS; each
takes the request's data dict and the `Site` and returns the result or raises one of
portal.ckan.errors. Docstrings are what help_show answers."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from catalog.models import Dataset, DatasetState, Distribution, Keyword
from catalog.vocabularies import LICENCES, DataTheme
from governance.models import Organisation

from ..projection import COLUMNS, THEME_URIS
from .dictize import organisations_by_pk, organization_dict, packages, theme_code, theme_id, theme_title
from .errors import NotAuthorized, NotFound, ValidationError
from .params import as_bool, key_or_none, number, required, strings, uuid_or_none
from .search import DEFAULT_ROWS, ROWS_MAX, SearchParams, search

CKAN_VERSION = "2.11.0"  # the version whose API shapes these actions reproduce
GROUP_LIST_MAX = 1000  # ckan.group_and_organization_list_max
GROUP_LIST_ALL_FIELDS_MAX = 25  # ckan.group_and_organization_list_all_fields_max
TAG_SEARCH_LIMIT = 10


@dataclass(frozen=True)
class Site:
    """What an action needs to know about the request: the absolute base URL."""

    base_url: str  # e.g. "https://daten.example.de", no trailing slash


ACTIONS: dict[str, Callable[[dict, Site], Any]] = {}
# Actions a GET may call; others need POST (CKAN's side_effect_free).
SIDE_EFFECT_FREE: set[str] = set()


def action(function=None, *, side_effect_free: bool = True):
    def register(function):
        ACTIONS[function.__name__] = function
        if side_effect_free:
            SIDE_EFFECT_FREE.add(function.__name__)
        return function

    return register(function) if function else register


def _published_by_name_or_id(value: str):
    identifier = uuid_or_none(value)
    lookup = Q(identifier=identifier) if identifier else Q(name=value)
    return Dataset.objects.published().filter(lookup)


@action
def package_search(data: dict, site: Site) -> dict:
    """Search the published datasets.

    :param q: the query; free words search title, keywords and description; field
        queries as Solr: ``name:``, ``id:``, ``title:``, ``tags:``, ``organization:``,
        ``owner_org:``, ``groups:``, ``res_format:``, ``license_id:``, ``metadata_modified:[X TO *]``,
        ``-field:value``, ``AND``, ``OR``, quotes and parentheses (default ``*:*``)
    :type q: string
    :param fq: a filter query in the same syntax
    :type fq: string
    :param fq_list: more filter queries, all of which must match
    :type fq_list: list of strings
    :param sort: ``score desc, metadata_modified desc`` (default),
        ``metadata_modified desc|asc``, ``metadata_created``, ``id``, ``name``,
        ``title_string``, comma-separated with ``asc`` or ``desc``
    :type sort: string
    :param rows: the number of datasets to return (default 10, at most 1000)
    :type rows: int
    :param start: the offset of the first dataset to return
    :type start: int
    :param facet.field: the fields to count, a JSON list such as
        ``["organization", "groups", "tags", "res_format", "license_id"]``
        (default: none)
    :type facet.field: list of strings
    :param facet.limit: values per facet field (default 50, -1 for all)
    :type facet.limit: int
    :param facet.mincount: the smallest count a facet value needs (default 1)
    :type facet.mincount: int
    :param include_private: accepted; this portal has only public datasets
    :param include_drafts: accepted; drafts are never shown

    :returns: ``count``, ``results`` (package dicts, as package_show), ``facets``
        (deprecated), ``search_facets`` and ``sort``
    :rtype: dictionary
    """
    return search(SearchParams.from_data(data), site.base_url)


@action
def package_show(data: dict, site: Site) -> dict:
    """Return a published dataset (package) with its resources.

    :param id: the id or name of the dataset
    :type id: string

    :rtype: dictionary
    """
    name_or_id = data.get("id") or required(data, "name_or_id")
    found = packages(_published_by_name_or_id(str(name_or_id)).values(*COLUMNS)[:1], site.base_url)
    if not found:
        raise NotFound
    return found[0]


@action
def resource_show(data: dict, site: Site) -> dict:
    """Return a resource (distribution) of a published dataset.

    :param id: the id of the resource
    :type id: string

    :rtype: dictionary
    """
    identifier = uuid_or_none(required(data, "id"))
    dataset_ids = Distribution.objects.public().filter(identifier=identifier).values("dataset_id") if identifier else []
    found = packages(Dataset.objects.published().filter(pk__in=dataset_ids).values(*COLUMNS)[:1], site.base_url)
    if not found:
        raise NotFound
    return next(resource for resource in found[0]["resources"] if resource["id"] == str(identifier))


@action
def package_list(data: dict, site: Site) -> list[str]:
    """Return the names of the published datasets, sorted.

    :param limit: the number of names per page (optional)
    :type limit: int
    :param offset: where the page starts (optional)
    :type offset: int

    :rtype: list of strings
    """
    errors: dict = {}
    limit, offset = number(data, "limit", errors), number(data, "offset", errors)
    if errors:
        raise ValidationError(errors)
    names = Dataset.objects.published().order_by("name").values_list("name", flat=True)
    offset = offset or 0
    return list(names[offset : offset + limit] if limit else names[offset:])


@action
def current_package_list_with_resources(data: dict, site: Site) -> list[dict]:
    """Return published datasets with their resources, most recently modified first.

    :param limit: the number of datasets per page (default 10, at most 1000)
    :type limit: int
    :param offset: where the page starts (optional)
    :type offset: int
    :param page: deprecated, use offset
    :type page: int

    :rtype: list of dictionaries
    """
    errors: dict = {}
    limit, offset = number(data, "limit", errors), number(data, "offset", errors)
    page = number(data, "page", errors, positive=True)
    if errors:
        raise ValidationError(errors)
    if offset is None:
        offset = (page - 1) * limit if page and limit else 0
    params = SearchParams(rows=min(DEFAULT_ROWS if limit is None else limit, ROWS_MAX), start=offset)
    return search(params, site.base_url)["results"]


# -- organisations and groups


def _list_params(data: dict, *, all_fields: bool) -> tuple[int, int, str, str]:
    errors: dict = {}
    limit, offset = number(data, "limit", errors), number(data, "offset", errors)
    if errors:
        raise ValidationError(errors)
    maximum = GROUP_LIST_ALL_FIELDS_MAX if all_fields else GROUP_LIST_MAX
    limit = maximum if limit is None or limit > maximum else limit
    sort = str(data.get("sort") or data.get("order_by") or "title").strip()
    if sort in ("packages", "package_count"):
        sort = "package_count desc"
    bits = sort.split(",")
    if len(bits) > 1:
        raise ValidationError("Too many sort criteria provided only 1 allowed")
    parts = bits[0].split()
    column, direction = parts[0], (parts[1].lower() if len(parts) > 1 else "asc")
    if column not in ("name", "title", "packages", "package_count"):
        raise ValidationError(f"Cannot sort by field `{column}`")
    if direction not in ("asc", "desc"):
        raise ValidationError(f"Invalid sort direction `{direction}`")
    return limit, offset or 0, "package_count" if column == "packages" else column, direction


def _published_counts_by_publisher(pks) -> dict[int, int]:
    rows = (
        Dataset.objects.published()
        .filter(publisher_id__in=pks)
        .order_by()
        .values_list("publisher_id")
        .annotate(n=Count("pk"))
    )
    return dict(rows)


def organization_show_dict(row: dict, data: dict, site: Site, *, list_defaults: bool = False) -> dict:
    """organization_show's dict; organization_list(all_fields=True) leaves out extras,
    tags, groups and users unless asked, as CKAN does."""

    def included(key):
        return as_bool(data.get(key), default=not list_defaults)

    result = {
        **organization_dict(row),
        "display_name": row["name"],
        "image_display_url": "",
        "num_followers": 0,
    }
    if as_bool(data.get("include_datasets")):
        scope = Q(publisher_id=row["pk"])
        found = search(SearchParams(rows=ROWS_MAX, facet=False), site.base_url, scope=scope)
        result["packages"] = found["results"]
        result["package_count"] = found["count"]
    elif as_bool(data.get("include_dataset_count"), default=True):
        result["package_count"] = row["package_count"]
    if included("include_extras"):
        extras = {
            "contributorID": json.dumps([row["contributor_id"]]) if row["contributor_id"] else "",
            "municipality": row["municipality"],
            "politicalGeocodingURI": row["spatial_uri"] or "",
            "url": row["website"],
        }
        result["extras"] = [{"key": key, "value": value} for key, value in sorted(extras.items()) if value]
    for key in ("tags", "groups", "users"):  # people and hierarchy stay internal
        if included(f"include_{key}"):
            result[key] = []
    if as_bool(data.get("include_member_count")):
        result["member_count"] = 0
    return result


@action
def organization_list(data: dict, site: Site) -> list:
    """Return the names of the organisations of the Stadtverbund (all of them;
    ``package_count`` counts published datasets only).

    :param sort: ``title`` (default), ``name`` or ``package_count``, with ``asc`` or
        ``desc``
    :type sort: string
    :param limit: at most 1000 names, or 25 organisations with ``all_fields``
    :type limit: int
    :param offset: where the page starts
    :type offset: int
    :param organizations: only these names
    :type organizations: list of strings
    :param q: only organisations whose name or title contains this
    :type q: string
    :param all_fields: return organisation dicts instead of names (default false)
    :type all_fields: bool
    :param include_dataset_count: with all_fields, add ``package_count`` (default true)
    :type include_dataset_count: bool

    :rtype: list of strings or dictionaries
    """
    all_fields = as_bool(data.get("all_fields"))
    limit, offset, column, direction = _list_params(data, all_fields=all_fields)
    organisations = Organisation.objects.all()
    names = strings(data.get("organizations"))
    if names:
        organisations = organisations.filter(slug__in=names)
    if data.get("q"):
        term = str(data["q"])
        organisations = organisations.filter(Q(slug__icontains=term) | Q(name__icontains=term))
    if column == "package_count":
        organisations = organisations.annotate(
            package_count=Count("datasets", filter=Q(datasets__state=DatasetState.PUBLISHED))
        )
    path = {"title": "name", "name": "slug", "package_count": "package_count"}[column]
    prefix = "-" if direction == "desc" else ""
    page = list(
        organisations.order_by(f"{prefix}{path}", f"{prefix}pk").values_list("pk", "slug")[offset : offset + limit]
    )
    if not all_fields:
        return [slug for _pk, slug in page]
    pks = [pk for pk, _slug in page]
    rows = organisations_by_pk(pks)
    counts = _published_counts_by_publisher(pks)
    return [
        organization_show_dict({**rows[pk], "package_count": counts.get(pk, 0)}, data, site, list_defaults=True)
        for pk in pks
    ]


@action
def organization_show(data: dict, site: Site) -> dict:
    """Return an organisation.

    :param id: the id (a UUID) or name of the organisation; the integer ids of
        earlier versions of this portal are still accepted
    :type id: string
    :param include_datasets: add its published datasets, at most 1000 (default false)
    :type include_datasets: bool
    :param include_dataset_count: add ``package_count``, published datasets only
        (default true)
    :type include_dataset_count: bool

    :rtype: dictionary
    """
    value = required(data, "id")
    identifier, key = uuid_or_none(value), key_or_none(value)
    # The integer ids this API gave before the UUIDs (issue 23) still find the
    # organisation: clients that kept them keep working.
    lookup = Q(slug=value)
    if identifier is not None:
        lookup |= Q(uuid=identifier)
    if key is not None:
        lookup |= Q(pk=key)
    pk = Organisation.objects.filter(lookup).values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound
    row = organisations_by_pk([pk])[pk]
    row["package_count"] = _published_counts_by_publisher([pk]).get(pk, 0)
    return organization_show_dict(row, data, site)


def _theme_counts() -> dict[str, int]:
    rows = (
        Dataset.themes.through.objects.filter(dataset__state=DatasetState.PUBLISHED)
        .values_list("theme__code")
        .annotate(n=Count("dataset_id"))
        .order_by()
    )
    return dict(rows)


def group_show_dict(code: str, count: int, data: dict, site: Site, *, list_defaults: bool = False) -> dict:
    def included(key):
        return as_bool(data.get(key), default=not list_defaults)

    title = theme_title(code)
    result = {
        "approval_status": "approved",
        "created": None,
        "description": "",
        "display_name": title,
        "id": theme_id(code),
        "image_display_url": "",
        "image_url": "",
        "is_organization": False,
        "name": code.lower(),
        "num_followers": 0,
        "state": "active",
        "title": title,
        "type": "group",
    }
    if as_bool(data.get("include_datasets")):
        found = search(SearchParams(rows=ROWS_MAX, facet=False, fq=[f"groups:{code.lower()}"]), site.base_url)
        result["packages"] = found["results"]
        result["package_count"] = found["count"]
    elif as_bool(data.get("include_dataset_count"), default=True):
        result["package_count"] = count
    if included("include_extras"):
        result["extras"] = [{"key": "uri", "value": THEME_URIS[code]}]
    for key in ("tags", "groups", "users"):
        if included(f"include_{key}"):
            result[key] = []
    if as_bool(data.get("include_member_count")):
        result["member_count"] = 0
    return result


@action
def group_list(data: dict, site: Site) -> list:
    """Return the names of the groups: the 13 data themes of the EU vocabulary, as
    GovData uses them (name = lowercase code, title = German label).

    :param sort: ``title`` (default), ``name`` or ``package_count``, with ``asc`` or
        ``desc``
    :type sort: string
    :param limit: at most 1000 names, or 25 groups with ``all_fields``
    :type limit: int
    :param offset: where the page starts
    :type offset: int
    :param groups: only these names
    :type groups: list of strings
    :param all_fields: return group dicts instead of names (default false)
    :type all_fields: bool

    :rtype: list of strings or dictionaries
    """
    all_fields = as_bool(data.get("all_fields"))
    limit, offset, column, direction = _list_params(data, all_fields=all_fields)
    codes = list(DataTheme.values)
    wanted = {name.lower() for name in strings(data.get("groups"))}
    if wanted:
        codes = [code for code in codes if code.lower() in wanted]
    if data.get("q"):
        term = str(data["q"]).lower()
        codes = [code for code in codes if term in code.lower() or term in theme_title(code).lower()]
    counts = _theme_counts() if all_fields or column == "package_count" else {}
    keys = {
        "title": lambda code: theme_title(code).casefold(),
        "name": lambda code: code.lower(),
        "package_count": lambda code: counts.get(code, 0),
    }
    codes.sort(key=lambda code: code.lower())
    codes.sort(key=keys[column], reverse=direction == "desc")
    codes = codes[offset : offset + limit]
    if not all_fields:
        return [code.lower() for code in codes]
    return [group_show_dict(code, counts.get(code, 0), data, site, list_defaults=True) for code in codes]


@action
def group_show(data: dict, site: Site) -> dict:
    """Return a group: one of the 13 data themes.

    :param id: the id or name of the group, e.g. ``envi``
    :type id: string
    :param include_datasets: add its published datasets, at most 1000 (default false)
    :type include_datasets: bool

    :rtype: dictionary
    """
    value = required(data, "id")
    by_id = {theme_id(code): code for code in DataTheme.values}
    code = theme_code(value) if value == value.lower() else None
    code = code or by_id.get(value)
    if code is None:
        raise NotFound
    count = Dataset.objects.published().filter(themes__code=code).count()
    return group_show_dict(code, count, data, site)


@action
def tag_list(data: dict, site: Site) -> list:
    """Return the keywords of the published datasets.

    :param query: only tags containing this (then at most ``limit`` tags, default 10)
    :type query: string
    :param all_fields: return tag dicts instead of names (default false)
    :type all_fields: bool

    :rtype: list of strings or dictionaries
    """
    vocabulary = data.get("vocabulary_id")
    if vocabulary:
        raise NotFound(f"could not find vocabulary '{vocabulary}'")
    used = Dataset.keywords.through.objects.filter(keyword_id=OuterRef("pk"), dataset__state=DatasetState.PUBLISHED)
    keywords = Keyword.objects.filter(Exists(used)).order_by("name", "pk")
    query = data.get("query") or data.get("q")
    if query:
        errors: dict = {}
        limit, offset = number(data, "limit", errors), number(data, "offset", errors)
        if errors:
            raise ValidationError(errors)
        offset = offset or 0
        limit = TAG_SEARCH_LIMIT if limit is None else limit
        keywords = keywords.filter(name__icontains=" ".join(strings(query)))
    rows = keywords.values_list("pk", "name")
    if query:
        rows = rows[offset : offset + limit]
    if as_bool(data.get("all_fields")):
        return [{"id": str(pk), "name": name, "vocabulary_id": None, "display_name": name} for pk, name in rows]
    return [name for _pk, name in rows]


@action
def license_list(data: dict, site: Site) -> list[dict]:
    """Return the licences of the DCAT-AP.de vocabulary, with the DCAT-AP.de URI as id.

    :rtype: list of dictionaries
    """
    return [
        {
            "id": licence.uri,
            "title": licence.label,
            "url": licence.uri,
            "status": "active",
            "family": "",
            "maintainer": "",
            "od_conformance": "approved" if licence.is_open else "not reviewed",
            "osd_conformance": "approved" if licence.is_open else "not reviewed",
            "domain_content": False,
            "domain_data": True,
            "domain_software": False,
            "is_generic": licence.code.startswith("other-"),
        }
        for licence in LICENCES
    ]


@action
def status_show(data: dict, site: Site) -> dict:
    """Return the portal's name, address, default language and the CKAN version whose
    API it answers like.

    :rtype: dictionary
    """
    extensions = ["stadtdaten"]
    try:
        reverse("portal:dataset_dcat", kwargs={"name": "x", "format": "ttl"})
        extensions.append("dcat")
    except NoReverseMatch:
        pass
    return {
        "site_title": settings.SITE_NAME,
        "site_description": _(
            "Offene Daten der Städte, Eigenbetriebe und Beteiligungen des Stadtverbunds: suchen, herunterladen, "
            "nachvollziehen, was nicht veröffentlicht wird, und Daten wünschen."
        ),
        "site_url": settings.SITE_URL,
        "error_emails_to": None,
        "locale_default": "de",
        "extensions": extensions,
        "ckan_version": CKAN_VERSION,
    }


@action
def help_show(data: dict, site: Site) -> str:
    """Return the help text of an action.

    :param name: the action's name, e.g. ``package_search``
    :type name: string

    :rtype: string
    """
    name = required(data, "name")
    function = ACTIONS.get(name)
    if function is None:
        raise NotFound("Action function not found")
    return inspect.cleandoc(function.__doc__ or "")


# CKAN's write actions: known, so ckanapi's `load` gets CKAN's Authorization Error (403)
# instead of an unknown action, and (like CKAN) they refuse GET.
WRITE_ACTIONS = [
    "package_create", "package_update", "package_patch", "package_delete", "package_revise",
    "package_owner_org_update", "dataset_purge", "resource_create", "resource_update", "resource_patch",
    "resource_delete", "organization_create", "organization_update", "organization_patch", "organization_delete",
    "organization_member_create", "group_create", "group_update", "group_patch", "group_delete", "member_create",
]  # fmt: skip


def _read_only(data: dict, site: Site):
    """Not available: this CKAN-compatible API is read-only. Datasets are maintained
    and published in Stadtdaten itself."""
    raise NotAuthorized("This CKAN-compatible API is read-only")


for _name in WRITE_ACTIONS:
    ACTIONS[_name] = _read_only


# ---------------------------------------------------------------------------
# The DataStore (issue 24): the tables of the store (datastore), as CKAN's DataStore
# extension answers them, so scripts written for a CKAN portal's tables run unchanged.


def _datastore_table(data: dict):
    from datastore.permissions import queryable_table

    identifier = uuid_or_none(str(required(data, "resource_id") if "resource_id" in data else required(data, "id")))
    table = queryable_table(identifier) if identifier else None
    if table is None:
        raise NotFound(_("Die Ressource „%(id)s“ hat keine abfragbare Tabelle.") % {
            "id": str(data.get("resource_id") or data.get("id"))[:100]})  # fmt: skip
    return table


def _datastore_fields(table, columns=None) -> list[dict]:
    from datastore import dictionary

    result = [{"id": "_id", "type": "int"}] if columns is None or any(c["id"] == "_id" for c in columns) else []
    for entry in dictionary.fields(table, [c for c in columns if c["id"] != "_id"] if columns else None):
        info = {"label": entry["title"], "notes": entry["description"], "type_override": ""}
        if entry["unit"]:
            info["unit"] = entry["unit"]
        result.append({"id": entry["id"], "type": dictionary.CKAN_TYPES[entry["type"]], "info": info})
    return result


def _strings_or_list(value, name: str) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    raise ValidationError({name: [_("Eine Liste oder ein kommagetrennter Text.")]})


@action
def datastore_search(data: dict, site: Site) -> dict:
    """Search a table of the DataStore (a loaded CSV or XLSX resource of a published dataset).

    :param resource_id: the id of the resource
    :type resource_id: string
    :param filters: column → value (or list of values), e.g. ``{"Stadtteil": "Mitte"}``
    :type filters: dictionary
    :param q: full text over the text columns (the start of each word), or a dictionary
        column → text
    :type q: string or dictionary
    :param fields: the columns to return (default: all)
    :type fields: list or comma-separated string
    :param sort: e.g. ``"Anzahl desc, Stadtteil"``
    :type sort: string
    :param limit: rows to return (default 100, at most 32000)
    :type limit: int
    :param offset: rows to skip
    :type offset: int
    :param records_format: ``objects`` (default), ``lists``, ``csv`` or ``tsv``
    :type records_format: string
    :param include_total: count all matching rows (default true)
    :type include_total: bool

    :returns: ``fields``, ``records``, ``total``, ``_links``
    :rtype: dictionary
    """
    from urllib.parse import urlencode

    from datastore import engine, query

    table = _datastore_table(data)
    records_format = data.get("records_format", "objects")
    if records_format not in ("objects", "lists", "csv", "tsv"):
        raise ValidationError({"records_format": [_("objects, lists, csv oder tsv.")]})
    include_total = as_bool(data.get("include_total"), True)
    built = query.Query(columns=table.columns)
    try:
        filters = query.json_filters(data["filters"]) if data.get("filters") not in (None, "", {}) else {}
        for name, value in filters.items():
            query.add_condition(built, name, "", value if isinstance(value, list) else [value], "filters")
        q = data.get("q")
        if isinstance(q, dict):
            # Per column: the words must occur in the whole row's text here, as a start.
            q = " ".join(str(value) for value in q.values())
        if q:
            built.words = query.words_of(str(q))
        if data.get("fields"):
            query.set_fields(built, _strings_or_list(data["fields"], "fields"))
        if data.get("sort"):
            query.set_sort(built, str(data["sort"]))
        query.set_limit(built, data.get("limit", query.DEFAULT_LIMIT), data.get("offset", 0))
        if not built.fields:
            built.fields = [query.ROW_ID, *table.columns]
        result = query.run_rows(table.table_name, built, total=include_total)
    except query.QueryError as error:
        raise ValidationError({error.parameter or "query": [error.message]}) from None
    except engine.QueryTimeout:
        raise ValidationError({"query": [_("Die Abfrage hat zu lange gedauert.")]}) from None
    from datastore import dictionary

    dictionary.count_query(table)
    fields = _datastore_fields(table, result.fields)
    names = [field["id"] for field in fields]
    if records_format == "objects":
        records = result.records
    elif records_format == "lists":
        records = [[record[name] for name in names] for record in result.records]
    else:
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if records_format == "csv" else "\t", lineterminator="\n")
        writer.writerows([["" if record[name] is None else record[name] for name in names]
                          for record in result.records])  # fmt: skip
        records = buffer.getvalue()
    start = {"resource_id": str(table.distribution.identifier)}
    following = {**start, "offset": built.offset + built.limit}
    for key in ("filters", "q", "fields", "sort", "limit", "records_format"):
        if data.get(key) not in (None, ""):
            value = data[key]
            start[key] = following[key] = json.dumps(value) if isinstance(value, dict | list) else value
    answer = {
        "include_total": include_total,
        "limit": built.limit,
        "records_format": records_format,
        "resource_id": str(table.distribution.identifier),
        "total_estimation_threshold": None,
        "records": records,
        "fields": fields,
        "_links": {
            "start": f"/api/3/action/datastore_search?{urlencode(start)}",
            "next": f"/api/3/action/datastore_search?{urlencode(following)}",
        },
    }
    if built.offset:
        answer["offset"] = built.offset
    if include_total:
        answer["total"] = result.total
        answer["total_was_estimated"] = False
    return answer


@action
def datastore_info(data: dict, site: Site) -> dict:
    """Describe a table of the DataStore: its columns (with the data dictionary) and rows.

    :param id: the id of the resource (also ``resource_id``)
    :type id: string

    :returns: ``meta`` (``count``, ``id``, ``table_type``), ``fields`` and ``schema``
    :rtype: dictionary
    """
    table = _datastore_table(data)
    fields = [field for field in _datastore_fields(table) if field["id"] != "_id"]
    return {
        "meta": {
            "id": str(table.distribution.identifier),
            "count": table.rows,
            "table_type": "BASE TABLE",
            "aliases": [],
        },
        "fields": [{**field, "schema": {"native_type": field["type"]}} for field in fields],
        "schema": {field["id"]: field["type"] for field in fields},
    }
