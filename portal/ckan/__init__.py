"""The CKAN Action API (read side) over published datasets, answering like CKAN 2.11 so
that ckanapi, ckanext-harvest, udata and piveau read this portal unchanged.

    views.py     the HTTP side: request data, the envelope, error objects and status codes
    urls.py      /api/3/action/<name> and /api/action/<name>
    actions.py   the actions (package_search, package_show, organization_list, …) and their registry
    search.py    package_search: parameters, filters, order, facets, one page of package dicts
    query.py     the subset of Solr's query syntax harvesters send in `q` and `fq`
    dictize.py   package, resource, organisation and group dicts
    params.py    parameter validation as CKAN's validators
    errors.py    the errors the view maps to CKAN's error objects

What a dataset says (URIs, licence, contributor ID, formats, download URLs …) is
resolved by `portal.projection`, the one DCAT-AP.de view that the DCAT-AP.de
documents (`portal.dcat`) render too; dictize.py only puts it into CKAN's shapes.

Every query starts from `Dataset.objects.published()`: drafts, datasets in review,
refused and withdrawn ones never appear, not in results, counts, facets, tag lists nor
in an organisation's package_count. Unknown parameters are ignored.
"""
