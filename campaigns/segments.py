"""The campaigns' segment filter: the members a campaign run is giving its benefits to.

Each campaign has one saved segment with this clause; a run's mass send evaluates it at the send's creation
time, which names the run whose mass send it is, so one segment serves every run (no segment per run).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.models import Campaign, Delivery, Outcome
from loyalty.segments import Param, ParamKind, SegmentFilter, invalid


class SentInCampaignRun(SegmentFilter):
    code = "campaign_run"
    label = gettext_lazy("sent by a campaign run (its mass send)")
    order = 200
    params = (Param("campaign", gettext_lazy("campaign (number)"), ParamKind.INTEGER, min_value=1),)

    def check(self, params, *, merchant_id):
        campaigns = Campaign.objects.filter(pk=params["campaign"], merchant_id=merchant_id)
        if merchant_id is not None and not campaigns.exists():
            raise invalid(_("Choose one of your campaigns."), param="campaign")
        return params

    def condition(self, params, *, merchant_id, at):
        return Q(Exists(Delivery.objects.filter(campaign_id=params["campaign"], member=OuterRef("pk"),
                                                outcome=Outcome.TREATED, occurrence__issuance__created_at=at)))

    def describe(self, params):
        return _("sent by a run of campaign %(campaign)d") % params
