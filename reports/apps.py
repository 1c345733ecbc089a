from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Dashboard and reports")

    def ready(self):
        from loyalty.dashboard import dashboard_tiles
        from loyalty.reports import reports
        from loyalty.segments import segment_filters
        from reports.members import MembersReport, RfmClassFilter
        from reports.tiles import TILES

        for tile in TILES:
            dashboard_tiles.register(tile)
        reports.register(MembersReport())
        segment_filters.register(RfmClassFilter())
