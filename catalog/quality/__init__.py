"""Metadata quality of a dataset, scored like the data.europa.eu Metadata Quality
Assessment (MQA): five dimensions, 23 checks, at most 405 points, rated excellent /
good / sufficient / bad. Also freshness against the declared update frequency.

The package has four parts:
- `scoring`: `assess` and `freshness` are pure functions of a dataset and its
  distributions: no writes, and no queries when the caller has prefetched `keywords`,
  `themes` and `distributions` and selected `publisher`. The models import it at the top.
  `stored` turns a QualityScore row back into a `Quality` for the pages.
- `store`: `rescore` persists the result as the dataset's `QualityScore` (its task
  score_datasets, named "catalog.tasks.score_datasets", runs after every change with
  the datasets of a transaction, see catalog.receivers).
- `reminders`: freshness reminders to the stewards (a periodic task).
- `inbox`: the steward's tasks (broken links, overdue updates) for governance.inbox.

How checks on distributions count for one dataset (as data.europa.eu does it):
accessibility, reusability and contextuality checks score the share of distributions
that pass × the points; interoperability counts the best distribution only (several
distributions usually carry the same content). A dataset without distributions scores
nothing on distribution checks.

Link checks: uploaded files are served by the portal itself and count as reachable;
external links count as reachable only when their latest check (catalog.linkcheck)
succeeded, which `store.rescore` passes in as `link_status`.

One check is approximated:
- DCAT-AP compliance: the mandatory DCAT-AP.de properties are present (title,
  description, publisher with contributor ID, licence, at least one distribution),
  until the SHACL validation of the RDF export exists.
"""
