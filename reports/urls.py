"""The console's pages, under /admin/reports/ (the dashboard itself is the admin's home, /admin/)."""

from django.urls import path

from reports.views import admin_views

app_name = "reports"
_views = admin_views()

urlpatterns = [
    path("", _views["report_list"], name="list"),
    path("members/segment/", _views["save_segment"], name="save_segment"),
    path("<str:code>/", _views["report"], name="report"),  # codes may be dotted: finance.settlement
]
