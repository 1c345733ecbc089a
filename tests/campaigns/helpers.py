"""Campaigns for tests: an active campaign with a default of each field, overridable."""

from __future__ import annotations

import datetime

from django.utils import timezone

from campaigns.models import Campaign, CampaignMessage, Channel, ChannelRule
from merchants.models import Member


def make_campaign(merchant, *, sms: str | None = "Hi {name}, {coupon} until {expiry}: {link}",
                  inbox: str | None = None, rules: list[tuple[str, str]] = (), **fields) -> Campaign:
    values = {"name": "Birthday", "trigger": "once", "status": Campaign.Status.ACTIVE,
              "send_at": timezone.now() - datetime.timedelta(minutes=1), "holdout_percent": 0}
    values.update(fields)
    campaign = Campaign.objects.create(merchant=merchant, **values)
    if sms is not None:
        CampaignMessage.objects.create(merchant=merchant, campaign=campaign, channel=Channel.SMS, body=sms)
    if inbox is not None:
        CampaignMessage.objects.create(merchant=merchant, campaign=campaign, channel=Channel.INBOX, title="For you",
                                       body=inbox)
    for position, (condition, channel) in enumerate(rules):
        ChannelRule.objects.create(merchant=merchant, campaign=campaign, position=position, condition=condition,
                                   channel=channel)
    return campaign


def bulk_members(merchant, count: int, *, start: int = 0, **fields) -> list[int]:
    """Many members at once (no join gifts or cards): for holdout shares and batch runs."""
    Member.objects.bulk_create([Member(merchant=merchant, phone=f"136{start + i:08d}", **fields)
                                for i in range(count)], batch_size=2000)
    return list(Member.objects.filter(merchant=merchant, phone__startswith="136").order_by("pk")
                .values_list("pk", flat=True))
