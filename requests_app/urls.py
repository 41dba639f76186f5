from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("countries/", views.country_list, name="countries"),
    path("countries/<str:code>/", views.country_detail, name="country"),
    path("countries/<str:code>/feed.atom", views.country_feed, name="country-feed"),
    path("paused/", views.pause_register, name="paused"),
    path("paused/feed.atom", views.pause_register_feed, name="paused-feed"),
    path("publications/feed.atom", views.publications_feed, name="publications-feed"),
    path("methodology/", views.methodology, name="methodology"),
    # --- open data (/data/) ---
    path("data/", views.data_index, name="data"),
    path("data/requests.csv", views.requests_data, {"fmt": "csv"}, name="requests-csv"),
    path("data/requests.json", views.requests_data, {"fmt": "json"}, name="requests-json"),
    path("data/outcomes.csv", views.outcomes_data, {"fmt": "csv"}, name="outcomes-csv"),
    path("data/outcomes.json", views.outcomes_data, {"fmt": "json"}, name="outcomes-json"),
    path("data/national_security.csv", views.national_security_data, {"fmt": "csv"}, name="ns-csv"),
    path("data/national_security.json", views.national_security_data, {"fmt": "json"}, name="ns-json"),
    path("data/pauses.csv", views.pauses_data, {"fmt": "csv"}, name="pauses-csv"),
    path("data/pauses.json", views.pauses_data, {"fmt": "json"}, name="pauses-json"),
]
