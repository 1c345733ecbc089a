"""One row of a tenant per campaigns admin model (and the marketing settings in merchants), for the
tenant-isolation tests."""

import datetime

from django.utils import timezone

from campaigns.models import CampaignChannel, HolidayDate, Occurrence, ShortLink
from merchants.models import FrequencyCap, MarketingSettings
from tests.campaigns.helpers import make_campaign


def _campaign(t):
    campaign = make_campaign(t.merchant, name="secret A campaign", inbox="Hello {name}",
                             rules=[("has_phone", "sms")])
    campaign.benefits.create(merchant=t.merchant, kind="points", quantity=5)
    CampaignChannel.objects.create(merchant=t.merchant, campaign=campaign, name="secret A channel")
    return campaign


def _occurrence(t):
    return Occurrence.objects.create(merchant=t.merchant, campaign=make_campaign(t.merchant, name="A run"),
                                     key="2026-12-01", due_at=timezone.now())


FACTORIES = {
    "campaigns.campaign": _campaign,
    "campaigns.occurrence": _occurrence,
    "campaigns.holidaydate": lambda t: HolidayDate.objects.create(merchant=t.merchant, day=datetime.date(2026, 12, 12),
                                                                  name="店庆"),
    "campaigns.shortlink": lambda t: ShortLink.objects.create(merchant=t.merchant, code="abc1234", target="/m/x/"),
    "merchants.marketingsettings": lambda t: MarketingSettings.objects.create(merchant=t.merchant,
                                                                              quiet_from=datetime.time(21),
                                                                              quiet_until=datetime.time(9)),
    "merchants.frequencycap": lambda t: FrequencyCap.objects.create(merchant=t.merchant, channel="sms", limit=2),
}
