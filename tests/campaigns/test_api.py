"""The terminal API for campaigns: the merchant's live campaigns with their coupon and channels' links, never
their figures (the till has a cashier's rights), nothing of another merchant's, a fixed number of statements."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaigns.models import Campaign, CampaignChannel
from campaigns.services.landing import channel_path
from campaigns.services.messages import absolute, landing_path
from tests.campaigns.helpers import make_campaign
from tests.coupons.helpers import make_template

LIST = reverse("api:campaign-list")


def _detail(campaign) -> str:
    return reverse("api:campaign-detail", args=[campaign.pk])


def _live_campaign(t, name="Autumn", channels=("Door poster",)):
    campaign = make_campaign(t.merchant, name=name, coupon_template=make_template(t.merchant, name=f"{name} coupon"))
    for channel in channels:
        CampaignChannel.objects.create(merchant=t.merchant, campaign=campaign, name=channel)
    return campaign


def test_a_terminal_lists_the_live_campaigns_with_their_coupon_and_links(tenant_a):
    campaign = _live_campaign(tenant_a)
    make_campaign(tenant_a.merchant, name="Draft", status=Campaign.Status.DRAFT)
    make_campaign(tenant_a.merchant, name="Ended", status=Campaign.Status.ENDED)
    paused = make_campaign(tenant_a.merchant, name="Paused", status=Campaign.Status.PAUSED)
    answer = tenant_a.api().get(LIST)
    assert answer.status_code == 200
    body = answer.json()
    assert [row["name"] for row in body["results"]] == ["Paused", "Autumn"]
    [door] = campaign.channels.all()
    assert body["results"][1] == {
        "id": campaign.pk, "name": "Autumn", "status": "active", "trigger": "once",
        "trigger_label": "一次性，指定时间", "landing_title": "",
        "coupon": {"id": campaign.coupon_template_id, "name": "Autumn coupon"},
        "landing_url": absolute(landing_path(campaign)),
        "channels": [{"id": door.pk, "name": "Door poster", "kind": "poster", "url": absolute(channel_path(door))}]}
    assert [row["id"] for row in tenant_a.api().get(LIST, {"status": "paused"}).json()["results"]] == [paused.pk]
    assert tenant_a.api().get(_detail(campaign)).json()["channels"][0]["url"].endswith(f"/c/{door.token}/")


def test_no_figures_reach_the_till():
    from campaigns.serializers import CampaignChannelSerializer, CampaignSerializer

    figures = {"views", "claims", "landing_views", "landing_claims", "sent", "redeemed", "revenue",
               "uplift_revenue", "uplift_revenue_low", "uplift_revenue_high", "holdout_percent"}
    assert not figures & set(CampaignSerializer.Meta.fields)
    assert not figures & set(CampaignChannelSerializer.Meta.fields)


def test_another_merchants_terminal_gets_nothing(tenant_a, tenant_b):
    campaign = _live_campaign(tenant_a)
    assert tenant_b.api().get(LIST).json()["results"] == []
    refused = tenant_b.api().get(_detail(campaign))
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "campaign_not_found"
    draft = make_campaign(tenant_a.merchant, name="Draft", status=Campaign.Status.DRAFT)
    assert tenant_a.api().get(_detail(draft)).json()["error"]["code"] == "campaign_not_found"


def test_without_a_terminal_key_nothing_is_answered(client, tenant_a):
    _live_campaign(tenant_a)
    answer = client.get(LIST)
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "not_authenticated"


def test_a_page_costs_the_same_statements_however_many_campaigns_and_channels(tenant_a):
    _live_campaign(tenant_a, "One")
    api = tenant_a.api()
    api.get(LIST)  # the terminal's last use is recorded once a minute: not in the counted request
    with CaptureQueriesContext(connection) as few:
        api.get(LIST)
    for n in range(4):
        _live_campaign(tenant_a, f"More {n}", channels=("Door", "Article", "Partner"))
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(LIST).json()["results"]) == 5
    assert len(many) == len(few)
