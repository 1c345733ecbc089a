"""The campaigns' segment filter: members sent a campaign run (its mass send gives them the benefits, and a
merchant may follow a run up with another send)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Delivery, Occurrence, Outcome
from loyalty.segments import Param, ParamKind, SegmentFilter, invalid


class SentInCampaignRun(SegmentFilter):
    code = "campaign_run"
    label = gettext_lazy("sent a campaign run")
    order = 200
    params = (Param("run", gettext_lazy("campaign run (number)"), ParamKind.INTEGER, min_value=1),)

    def check(self, params, *, merchant_id):
        runs = Occurrence.objects.filter(pk=params["run"], merchant_id=merchant_id)
        if merchant_id is not None and not runs.exists():
            raise invalid(_("Choose one of your campaign runs."), param="run")
        return params

    def condition(self, params, *, merchant_id, at):
        return Q(Exists(Delivery.objects.filter(occurrence_id=params["run"], member=OuterRef("pk"),
                                                outcome=Outcome.TREATED)))

    def describe(self, params):
        return _("sent campaign run %(run)d") % params
