"""Staff pages of the strategy (under /intern/strategie/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.strategy_list, name="strategy_list"),
    path("massnahmen/<str:code>/", views.measure_detail, name="measure_detail"),
    path("massnahmen/<str:code>/status/", views.measure_status, name="measure_status"),
    path("massnahmen/<str:code>/budget/", views.measure_budget, name="measure_budget"),
    path("massnahmen/<str:code>/bearbeiten/", views.measure_edit, name="measure_edit"),
    path("massnahmen/<str:code>/verlauf/", views.measure_history, name="measure_history"),
    path("massnahmen/<str:code>/meilensteine/neu/", views.milestone_create, name="milestone_create"),
    path("massnahmen/<str:code>/meilensteine/<int:pk>/bearbeiten/", views.milestone_edit, name="milestone_edit"),
    path("massnahmen/<str:code>/meilensteine/<int:pk>/erreicht/", views.milestone_complete, name="milestone_complete"),
    path("indikatoren/<str:code>/", views.indicator_detail, name="indicator_detail"),
    path("indikatoren/<str:code>/bearbeiten/", views.indicator_edit, name="indicator_edit"),
    path("indikatoren/<str:code>/verlauf/", views.indicator_history, name="indicator_history"),
    path("indikatoren/<str:code>/werte/neu/", views.indicator_value_add, name="indicator_value_add"),
    path("<slug:slug>/", views.strategy_detail, name="strategy_detail"),
    path("<slug:slug>/bearbeiten/", views.strategy_edit, name="strategy_edit"),
    path("<slug:slug>/verlauf/", views.strategy_history, name="strategy_history"),
    path("<slug:slug>/zeitplan/", views.strategy_timeline, name="strategy_timeline"),
    path("<slug:slug>/handlungsfelder/neu/", views.field_of_action_create, name="field_of_action_create"),
    path("<slug:slug>/handlungsfelder/<int:pk>/bearbeiten/", views.field_of_action_edit, name="field_of_action_edit"),
    path(
        "<slug:slug>/handlungsfelder/<int:pk>/verlauf/", views.field_of_action_history, name="field_of_action_history"
    ),
    path("<slug:slug>/ziele/neu/", views.goal_create, name="goal_create"),
    path("<slug:slug>/ziele/<int:pk>/bearbeiten/", views.goal_edit, name="goal_edit"),
    path("<slug:slug>/ziele/<int:pk>/verlauf/", views.goal_history, name="goal_history"),
    path("<slug:slug>/massnahmen/neu/", views.measure_create, name="measure_create"),
    path("<slug:slug>/indikatoren/neu/", views.indicator_create, name="indicator_create"),
]
