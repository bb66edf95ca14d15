from django.urls import path

from . import dcat_views, feeds, legal, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("suche/", views.search, name="search"),
    path("datensatz/<slug:name>/", views.dataset_detail, name="dataset_detail"),
    path("datensatz/<slug:name>/dateien/<uuid:identifier>/", views.download, name="download"),
    path("datensatz/<slug:name>/dateien/<uuid:identifier>/als-<str:target>/", views.convert, name="convert"),
    path("datensatz/<slug:name>/wichtig/", views.vote, name="vote"),
    path("datensatz/<slug:name>/kommentar/", views.comment, name="comment"),
    path("nicht-veroeffentlichte-daten/", views.register, name="register"),
    path("nicht-veroeffentlichte-daten/<slug:name>/", views.register_entry, name="register_entry"),
    path("transparenz/", views.dashboard, name="dashboard"),
    path("datenwuensche/", views.data_request_list, name="data_request_list"),
    path("datenwuensche/neu/", views.data_request_create, name="data_request_create"),
    path("datenwuensche/danke/", views.data_request_thanks, name="data_request_thanks"),
    path("datenwuensche/<int:pk>/", views.data_request_detail, name="data_request_detail"),
    # The pages every public website must have, and the sitemap for people (portal/legal.py)
    path("impressum/", legal.legal_page, {"kind": "impressum"}, name="legal_impressum"),
    path("datenschutz/", legal.legal_page, {"kind": "datenschutz"}, name="legal_datenschutz"),
    path("barrierefreiheit/", legal.legal_page, {"kind": "barrierefreiheit"}, name="legal_barrierefreiheit"),
    path("kontakt/", legal.legal_page, {"kind": "kontakt"}, name="legal_kontakt"),
    path("sitemap/", legal.sitemap_page, name="sitemap_page"),
    # Staff
    path("intern/portal/datenwuensche/", views.triage_list, name="triage_list"),
    path("intern/portal/datenwuensche/<int:pk>/", views.triage_detail, name="triage_detail"),
    path("intern/portal/kommentare/", views.comment_moderation, name="comment_moderation"),
    path("intern/portal/pflichtseiten/", legal.legal_page_list, name="legal_page_list"),
    path("intern/portal/pflichtseiten/<str:kind>/", legal.legal_page_edit, name="legal_page_edit"),
    path("intern/portal/pflichtseiten/<str:kind>/verlauf/", legal.legal_page_history, name="legal_page_history"),
]

# DCAT-AP.de (see portal/dcat_views.py); the URIs of catalog and datasets in the RDF.
urlpatterns += [
    path("catalog", dcat_views.catalog_negotiated, name="catalog"),
    path("catalog.<str:format>", dcat_views.catalog, name="catalog_dcat"),
    path("catalog/all.<str:format>", dcat_views.catalog_export, name="catalog_export"),
    path("dataset/<slug:name>", dcat_views.dataset_negotiated, name="dataset"),
    path("dataset/<slug:name>.<str:format>", dcat_views.dataset, name="dataset_dcat"),
]

# Atom feeds of new and changed datasets (portal/feeds.py); /feeds/dataset.atom is CKAN's
# address of the whole portal's feed, which feed readers and scripts know.
urlpatterns += [
    path("feeds/datensaetze.atom", feeds.portal_feed, name="feed"),
    path("feeds/dataset.atom", feeds.portal_feed, name="feed_ckan"),
    path("feeds/organisation/<slug:slug>.atom", feeds.organisation_feed, name="feed_organisation"),
    path("feeds/thema/<slug:code>.atom", feeds.theme_feed, name="feed_theme"),
    path("feeds/suche.atom", feeds.search_feed, name="feed_search"),
]
