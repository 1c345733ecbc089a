"""The campaigns tile on the console's dashboard: campaigns active now, and what their runs reached in each window."""

from __future__ import annotations

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Campaign, Occurrence
from loyalty.dashboard import DashboardScope, DashboardTile, TileFigure, in_windows, window_values


class ActiveCampaignsTile(DashboardTile):
    code = "campaigns"
    label = gettext_lazy("Campaigns")
    order = 60
    stores = False  # a campaign speaks to the merchant's members, not to one store's

    def measure(self, scope: DashboardScope) -> list[TileFigure]:
        windows = scope.windows
        # Two statements whatever the data: one aggregate over the runs answers every window (runs are few: one a
        # day per campaign at most), and the campaigns active now are one count.
        active = Campaign.objects.filter(scope.merchant_q(), status=Campaign.Status.ACTIVE)
        row = Occurrence.objects.filter(scope.merchant_q(), scope.span_q("due_at")).aggregate(
            **in_windows("runs", lambda q: Count("pk", filter=q & ~Q(status=Occurrence.Status.CANCELLED)),
                         at="due_at", windows=windows),
            **in_windows("treated", lambda q: Sum("treated", filter=q), at="due_at", windows=windows),
            **in_windows("held_out", lambda q: Sum("held_out", filter=q), at="due_at", windows=windows))
        active_now = active.count()
        return [TileFigure(_("active campaigns"), tuple(active_now for _window in windows)),
                TileFigure(_("campaign runs"), window_values(row, "runs", windows)),
                TileFigure(_("members reached"), window_values(row, "treated", windows)),
                TileFigure(_("held out (control group)"), window_values(row, "held_out", windows))]
