"""The campaigns app's events (loyalty.events): a coupon claimed from a campaign's page, a campaign run finished.

A run writes one event when it completes, with its counts, not one per member: a million rows of history would
cost more than the send itself (the coupons' mass sends write none per coupon either)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignChannel, Occurrence
from coupons.models import Coupon
from loyalty.events import EventKind, record_event
from loyalty.models import Event

CAMPAIGN_CLAIMED = EventKind("campaign.claimed", _("coupon claimed from a campaign"))
CAMPAIGN_RUN_COMPLETED = EventKind("campaign_run.completed", _("campaign run completed"))

KINDS = [CAMPAIGN_CLAIMED, CAMPAIGN_RUN_COMPLETED]


def campaign_claimed(campaign: Campaign, coupon: Coupon, *, channel: CampaignChannel | None) -> Event:
    """A member took the campaign's coupon on its landing page, through one of its channels or its own link."""
    return record_event(CAMPAIGN_CLAIMED, campaign, member_id=coupon.member_id,
                        data={"coupon": coupon.pk, "template": coupon.template_id,
                              "channel": channel.pk if channel is not None else None,
                              "channel_name": channel.name if channel is not None else None})


def campaign_run_completed(occurrence: Occurrence) -> Event:
    """A run finished giving and writing its messages: who it reached, held out and stopped."""
    return record_event(CAMPAIGN_RUN_COMPLETED, occurrence.campaign,
                        data={"run": occurrence.pk, "key": occurrence.key, "due_at": occurrence.due_at,
                              "eligible": occurrence.eligible, "treated": occurrence.treated,
                              "held_out": occurrence.held_out, "capped": occurrence.capped,
                              "messaged": occurrence.messaged})
