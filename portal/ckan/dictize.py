"""Dictization: the rows of the DCAT-AP.de projection (`portal.projection`) as CKAN
2.11 package dicts, with their resources, organisation, groups and tags. Everything a
dict says about a dataset is resolved there; this module only puts it into CKAN's
shapes, in bulk: a thousand package dicts cost the projection's queries and no more.

Mapping (GovData's conventions, ckanext-dcatde): package `id` = the dataset's UUID,
`name` = its slug; organisations = `Organisation` (id = its UUID, as CKAN's organisation
ids, name = slug);
groups = the 13 EU data themes (name = lowercase code, id = a UUID derived from the
theme URI, so it is the same on every installation); tags = keywords; `license_id` =
the DCAT-AP.de licence URI; resources = distributions; the DCAT-AP.de values go into
`extras` under the keys of ckanext-dcatde and ckanext-dcat.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from catalog.vocabularies import LICENCES_BY_CODE, DataTheme
from governance.models import Organisation, OrgType

from ..projection import HVD_LEGISLATION, LANGUAGE_URIS, PUBLIC_ACCESS, THEME_URIS, Projection, read_organisations

# ---------------------------------------------------------------------------
# Timestamps: naive ISO 8601 in UTC, as CKAN stores them


def iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        offset = value.utcoffset()
        if offset:  # the database's time stamps are in UTC already: no arithmetic for them
            value = value - offset
        if offset is not None:
            value = value.replace(tzinfo=None)
    return value.isoformat()


# ---------------------------------------------------------------------------
# Dicts


def theme_id(code: str) -> str:
    """A UUID derived from the theme's EU URI: the same on every installation."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, THEME_URIS[code]))


def theme_title(code: str) -> str:
    return str(DataTheme(code).label)


def theme_code(name: str) -> str | None:
    code = name.upper()
    return code if code in DataTheme.values else None


def organisations_by_pk(pks) -> dict[int, dict]:
    """The projection's organisation rows (with `created`) of these organisations."""
    return read_organisations(Organisation.objects.filter(pk__in=pks))


def organisation_description(row: dict) -> str:
    kind = OrgType(row["org_type"]).label if row["org_type"] in OrgType.values else row["org_type"]
    return f"{kind}, {row['municipality']}"


def organization_dict(row: dict) -> dict:
    """The `organization` of a package dict (CKAN: the organisation's table row)."""
    return {
        "id": str(row["uuid"]),
        "name": row["slug"],
        "title": row["name"],
        "type": "organization",
        "description": organisation_description(row),
        "image_url": "",
        "created": iso(row["created"]),
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def package_group_dict(code: str) -> dict:
    """A theme as one of the `groups` of a package dict."""
    title = theme_title(code)
    return {
        "id": theme_id(code),
        "name": code.lower(),
        "title": title,
        "display_name": title,
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "approval_status": "approved",
        "capacity": "public",
        "is_organization": False,
        "state": "active",
        "type": "group",
        "member_count": 0,  # CKAN counts the group's users here; this portal shows none
    }


def tag_dict(pk: int, name: str) -> dict:
    return {"id": str(pk), "name": name, "display_name": name, "state": "active", "vocabulary_id": None}


RESOURCE_TYPES = {True: "api", False: "file"}  # by access_service, for links
# ckanext-dcatde's JSON lists, written once.
LANGUAGE_LISTS = {uri: json.dumps([uri]) for uri in LANGUAGE_URIS.values()}
HVD_LEGISLATION_LIST = json.dumps([HVD_LEGISLATION])


def extras(row: dict) -> list[dict]:
    """DCAT-AP.de values under the keys GovData's ckanext-dcatde and ckanext-dcat use,
    sorted by key (written in that order), without empty values."""
    hvd = row["hvd_uri"] is not None
    values = (
        ("access_rights", PUBLIC_ACCESS),
        ("applicable_legislation", HVD_LEGISLATION_LIST if hvd else ""),
        ("contributorID", json.dumps([row["contributor_id"]]) if row["contributor_id"] else ""),
        ("frequency", row["frequency_uri"]),
        ("geocodingText", row["spatial_label"]),
        ("hvd_category", row["hvd_uri"]),
        ("issued", iso(row["issued"])),
        ("language", LANGUAGE_LISTS.get(row["language_uri"])),
        ("politicalGeocodingLevelURI", row["geocoding_level_uri"]),
        ("politicalGeocodingURI", row["spatial_uri"]),
        ("spatial_resolution_in_meters", str(row["spatial_resolution_m"] or "")),
        ("temporal_end", iso(row["temporal_end"])),
        ("temporal_start", iso(row["temporal_start"])),
        ("theme", json.dumps(row["theme_uris"]) if row["theme_uris"] else ""),
    )
    return [{"key": key, "value": value} for key, value in values if value]


def packages(rows, base_url: str) -> list[dict]:
    """The package dicts of a values(*projection.COLUMNS) queryset, with URLs on `base_url`."""
    projection = Projection(base_url)
    return Dictizer().packages(projection.table_schemas(projection.read(rows)))


class Dictizer:
    """Package dicts of projected rows; the dicts of groups (labels translated once)
    and organisations are built once per theme and organisation."""

    def __init__(self):
        self.groups: dict[str, dict] = {}  # theme code → group dict
        self.organizations: dict[int, dict] = {}

    def group(self, code: str) -> dict:
        if code not in self.groups:
            self.groups[code] = package_group_dict(code)
        return dict(self.groups[code])

    def organization(self, row: dict) -> dict:
        if row["pk"] not in self.organizations:
            self.organizations[row["pk"]] = organization_dict(row)
        return dict(self.organizations[row["pk"]])

    def packages(self, rows: list[dict]) -> list[dict]:
        return [self.package(row) for row in rows]

    def package(self, row: dict) -> dict:
        licence = LICENCES_BY_CODE[row["licence"]]
        # keyword_ids and keywords are the same length by construction.
        tags = [tag_dict(pk, name) for pk, name in zip(row["keyword_ids"], row["keywords"], strict=False)]
        groups = sorted((self.group(code) for code in row["themes"]), key=lambda group: group["title"])
        identifier = str(row["identifier"])
        resources = [
            self.resource(row, identifier, distribution, position)
            for position, distribution in enumerate(row["distributions"])
        ]
        return {
            "author": None,
            "author_email": None,
            "creator_user_id": None,  # people stay internal
            "extras": extras(row),
            "groups": groups,
            "id": identifier,
            "isopen": licence.is_open,
            "license_id": row["licence_uri"],
            "license_title": licence.label,
            "license_url": row["licence_uri"],
            "maintainer": row["contact_name"],
            "maintainer_email": row["contact_email"],
            "metadata_created": iso(row["created"]),
            "metadata_modified": iso(row["modified"]),
            "name": row["name"],
            "notes": row["description"],
            "num_resources": len(resources),
            "num_tags": len(tags),
            "organization": self.organization(row["publisher"]),
            "owner_org": str(row["publisher"]["uuid"]),
            "private": False,
            "relationships_as_object": [],
            "relationships_as_subject": [],
            "resources": resources,
            "state": "active",
            "tags": tags,
            "title": row["title"],
            "type": "dataset",
            "url": row["landing_page"],
            "version": None,
        }

    def resource(self, row: dict, package_id: str, distribution: dict, position: int) -> dict:
        upload = distribution["upload"]
        resource_type = "file.upload" if upload else RESOURCE_TYPES[distribution["access_service"]]
        resource = {
            "id": str(distribution["identifier"]),
            "package_id": package_id,
            "url": distribution["url"],
            "name": distribution["title"],
            "description": distribution["description"],
            # A format outside the EU vocabulary ("Sonstiges") is no code another catalog knows:
            # the media type instead, where there is one, as ckanext-dcat reads our DCAT then.
            "format": distribution["format"] if distribution["format_uri"] else (distribution["media_type"] or ""),
            "mimetype": distribution["media_type"],
            "mimetype_inner": None,
            "size": distribution["byte_size"],
            "hash": distribution["checksum_sha256"],
            "position": position,
            "resource_type": resource_type,
            "url_type": "upload" if upload else None,
            "last_modified": iso(distribution["modified"]),
            "created": iso(distribution["created"]),
            "metadata_modified": iso(distribution["modified"]),
            "cache_url": None,
            "cache_last_updated": None,
            "state": "active",
            "datastore_active": distribution["queryable"],
            # GovData keeps the licence on the resource, as a DCAT-AP.de URI.
            "license": distribution["licence_uri"],
        }
        if distribution["queryable"] and distribution.get("table_schema"):
            # The data dictionary as a Table Schema object, as ckanext-scheming/-validation
            # keep a resource's `schema` (a JSON object, not a URL): a client reads the
            # columns' titles, units and allowed values with the package, without a second
            # request; the stable URL of the same document is in the DCAT (dct:conformsTo).
            resource["schema"] = distribution["table_schema"]
        if row["attribution_text"]:
            resource["licenseAttributionByText"] = row["attribution_text"]
        return resource
