"""Public portal pages of the strategy (under /strategie/); names start with public_."""

from django.urls import path

from . import public_views

urlpatterns = [
    path("", public_views.public_strategy_list, name="public_strategy_list"),
    path("<slug:slug>/", public_views.public_strategy, name="public_strategy"),
    path("<slug:slug>/massnahmen/<str:code>/", public_views.public_measure, name="public_measure"),
    path("<slug:slug>/massnahmen/<str:code>/wichtig/", public_views.public_measure_vote, name="public_measure_vote"),
]
