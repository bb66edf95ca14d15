"""Harvesting from existing catalogs: a configured source (HarvestSource) is read page by
page by the reader of its kind (catalog.harvest.readers): a CKAN portal through
`package_search` (`sort=id asc`, like ckanext-harvest), a DCAT-AP(.de) catalog with
Hydra paging (catalog.harvest.dcat), a geoportal's CSW (catalog.harvest.csw). Each
reader gives CKAN package dicts (as ckanext-dcat does for DCAT); every package dict is
mapped to a dataset with keywords, themes and link distributions, and created or
updated through the catalog services, so each change leaves a history row whose
reason names the source ("catalog.harvest.created: <source>").

Rules (the README repeats them for administrators):

- Every request goes through the outbound guard (core.outbound): public addresses
  only (an intranet source by name on OUTBOUND_ALLOWED_HOSTS), bodies up to
  OUTBOUND_MAX_BODY_BYTES, each request within OUTBOUND_REQUEST_DEADLINE and the run
  within HARVEST_JOB_DEADLINE. A source on an internal address is refused when saved
  and when run; a trusted source must be on a public address, allow-list or not; a
  source that is this portal (SITE_URL, ALLOWED_HOSTS) or returns its datasets (their
  identifiers or addresses of this portal) is refused.
- Each record is written in its own transaction. A record that cannot be taken
  (no id, name or title, no licence or an unknown one, no contact e-mail anywhere) is
  reported with its remote name and the reason and does not stop the run. What is not
  legally relevant is a warning and the record is taken: an invalid web page (left
  out), a resource with an invalid address (left out) or an unknown licence (the
  dataset's applies), a title over 300 characters (shortened). A transport error
  (no connection, timeout, no JSON, `success: false`) fails the run with a message;
  what was written until then stays, and the next run continues from there.
- Idempotent: a record whose mapped fields (`HarvestRecord.snapshot`) are what the
  last run wrote is left alone ("unchanged"); a second run over the same data
  creates and updates nothing.
- Untrusted source: new datasets are drafts of the mapped organisation, without
  steward or owner, created in the name of the source's responsible person; they go
  through classification and the normal workflow. Trusted source (the city's own
  open-data portal): new datasets are published by catalog.workflow.publish_harvested
  (declared classification, rule evaluation, publication Decision), in the name of
  the responsible person, who must be a governance admin of the publisher.
- Local edits: a run applies only the fields the source changed since the last run
  (a three-way comparison of the last run's snapshot, the source and the dataset), so
  local edits of other fields stay. If the source changed a field that was also
  edited here, an untrusted source's record is not taken over at all and is reported
  ("lokal geändert", with the fields) until both sides agree. A trusted source is the
  authority for its datasets (all of them are harvest-owned): its change overwrites
  the local edit, the report says so and the history keeps the overwritten version.
  Fields the source does not provide (e.g. HVD category, or a frequency the source
  leaves out) are never touched.
- Datasets in review are not changed (catalog.services rules); the record is
  reported and taken over in a later run. Changing licence or publisher of a
  published dataset re-opens its review (catalog.services.update_dataset).
- A record missing from a complete (not incremental) run is marked removed. A
  trusted source's published dataset is withdrawn ("an der Quelle entfernt"); all
  others are only flagged and reported. If it comes back, the flag goes, and a
  dataset the run withdrew is published again.
- Name collisions: the Kurzname is the CKAN name (underscores become hyphens),
  with the source's optional prefix. If a dataset not linked to the same remote
  record already has that name, the record is not taken over and the report says
  so; set a prefix for the source or rename one of the datasets.
- Unmappable values: an unknown licence (also "notspecified") fails the record; a
  resource without address is left out with a warning; a resource whose format the
  catalog does not know (e.g. DWG) is kept as "Sonstiges" (OTHER, with the media type
  the source declares) and the warning names the source's format; missing notes
  become the title (warning); missing contact details fall back to the publisher
  organisation's name and e-mail; only a CKAN record without a web page gets its page
  at the source (/dataset/<name>); unknown groups, frequencies and languages are
  ignored; an invalid date, size or spatial resolution is left out with a warning.
"""
