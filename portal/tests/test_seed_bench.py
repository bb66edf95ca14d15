"""The benchmark seeder (issue 12): what `make bench` measures must look like a real
catalog and answer on every public surface."""

import io
import json
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from bench.seed import CITIES, STATE_PLAN, city_of, dataset_name, names_in_state, state_of
from bench.vocabulary import COMMON_TERMS, RARE_TERMS
from catalog.models import Dataset, DatasetState
from portal import search

N = 300


@pytest.fixture
def seeded(db):
    out = io.StringIO()
    call_command("seed_bench", "--datasets", str(N), stdout=out)
    lines = out.getvalue().strip().splitlines()
    return lines, json.loads(lines[-1])


def test_seed_bench_fills_the_planned_catalog(seeded):
    lines, summary = seeded
    assert len(lines) == 5  # one progress line per phase, then the JSON summary
    datasets = Dataset.objects.filter(name__startswith="bench-")
    assert summary["datasets"] == datasets.count() == N
    assert sorted(datasets.values_list("name", flat=True)) == [dataset_name(i) for i in range(1, N + 1)]
    assert dataset_name(1) == "bench-000001"

    # Every dataset sits in the state state_of promised, and the shares follow the plan.
    in_db = dict(datasets.values_list("name", "state"))
    assert all(in_db[dataset_name(i)] == state_of(i, N) for i in range(1, N + 1))
    counts = Counter(in_db.values())
    for state, share in STATE_PLAN:
        assert counts[state] >= 1, state
        assert abs(counts[state] - share * N) <= 0.03 * N, (state, counts[state])
    assert summary["published"] == counts[DatasetState.PUBLISHED]
    # Publishers: the four cities' units, as city_of says.
    publisher_city = dict(datasets.values_list("name", "publisher__parent__slug"))
    assert all(publisher_city[dataset_name(i)] == f"bench-stadt-{city_of(i, N)}" for i in range(1, N + 1))
    assert len(set(publisher_city.values())) == len(CITIES)

    per_dataset = datasets.annotate(n=Count("distributions")).values_list("n", flat=True)
    assert set(per_dataset) <= {1, 2, 3, 4, 5}
    assert len(set(per_dataset)) >= 4
    assert summary["distributions"] == sum(per_dataset)
    # Each dataset has its first classification in force; published ones are open data.
    assert not datasets.filter(current_classification__isnull=True).exists()
    published = datasets.filter(state=DatasetState.PUBLISHED)
    assert not published.exclude(current_classification__personal_data=0, publication_outcome="open").exists()

    with pytest.raises(CommandError, match="already exists"):
        call_command("seed_bench", "--datasets", "10", stdout=io.StringIO())
    assert Dataset.objects.filter(name__startswith="bench-").count() == N


def test_the_portal_search_and_ckan_find_the_seeded_catalog(seeded, client):
    _lines, summary = seeded
    for term in COMMON_TERMS[:1] + RARE_TERMS[:1]:
        result = search.search(term)
        assert result.total >= 1, term
        shown = Dataset.objects.filter(pk__in=[hit.pk for hit in result.results])
        assert set(shown.values_list("state", flat=True)) == {DatasetState.PUBLISHED}
        assert all(hit.name.startswith("bench-") for hit in result.results)
    assert search.search(COMMON_TERMS[0]).total > 5 * search.search(RARE_TERMS[0]).total

    answer = client.get("/api/3/action/package_search", {"rows": 0}).json()
    assert answer["success"]
    assert answer["result"]["count"] == summary["published"]


def test_a_published_bench_dataset_answers_on_every_surface(seeded, client):
    name = next(dataset_name(i) for i in range(1, N + 1) if state_of(i, N) == DatasetState.PUBLISHED)
    page = client.get(f"/datensatz/{name}/")
    assert page.status_code == 200
    assert page.context["summary"] is not None  # the publication decision is shown
    assert client.get(f"/api/v1/datasets/{name}/").status_code == 200
    show = client.get("/api/3/action/package_show", {"id": name})
    assert show.status_code == 200
    assert show.json()["result"]["num_resources"] >= 1
    ttl = client.get(f"/dataset/{name}.ttl")
    assert ttl.status_code == 200
    assert b"dcat:Dataset" in ttl.content
    draft = names_in_state(DatasetState.DRAFT, N, city=1)[0]
    assert client.get(f"/datensatz/{draft}/").status_code == 404


def test_seed_bench_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="never in production"):
        call_command("seed_bench", "--datasets", "10", stdout=io.StringIO())


def test_state_of_rejects_numbers_outside_the_catalog():
    with pytest.raises(ValueError, match=r"outside 1\.\.10"):
        state_of(0, 10)
    with pytest.raises(ValueError, match=r"outside 1\.\.10"):
        state_of(11, 10)
