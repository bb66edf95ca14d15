from django.urls import include, path

from . import public_urls, staff_urls

app_name = "strategy"

urlpatterns = [
    path("intern/strategie/", include(staff_urls.urlpatterns)),
    path("strategie/", include(public_urls.urlpatterns)),
]
