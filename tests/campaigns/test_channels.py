"""Campaign channels (活动渠道): each its own landing-page link and QR poster, views and claims counted on it,
the coupons claimed through it carrying the coupon's claim channel, so redemptions and money off are its own in
the campaign's page and in the coupons report; another merchant's staff and links get nothing."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from campaigns.models import CampaignChannel
from campaigns.services.landing import channel_path
from coupons.models import ClaimChannel, Coupon
from coupons.services import redeem_coupon
from coupons.services.stats import channel_figures
from loyalty.models import Event
from merchants.models import Member
from merchants.views import login_url
from tests.campaigns.helpers import make_campaign
from tests.conftest import staff_client
from tests.coupons.helpers import make_template
from tests.wallet.helpers import log_in_member


def _campaign_with_channels(t):
    template = make_template(t.merchant, name="Door coupon", per_member_limit=5)
    campaign = make_campaign(t.merchant, name="Autumn", coupon_template=template)
    door = CampaignChannel.objects.create(merchant=t.merchant, campaign=campaign, name="Door poster")
    article = CampaignChannel.objects.create(merchant=t.merchant, campaign=campaign, name="Article",
                                             kind=ClaimChannel.Kind.ARTICLE)
    return campaign, door, article


def test_a_manager_adds_a_channel_on_the_campaign_page(client, tenant_a):
    from tests.admin_forms import admin_form_data

    campaign, _door, _article = _campaign_with_channels(tenant_a)
    staff_client(client, tenant_a.manager)
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    page = client.get(url)
    inline = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is CampaignChannel)
    prefix = inline.formset.prefix
    data = admin_form_data(page, **{f"{prefix}-TOTAL_FORMS": "3", f"{prefix}-2-name": "Partner gym",
                                    f"{prefix}-2-kind": "partner"})
    saved = client.post(url, data)
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    added = CampaignChannel.objects.get(campaign=campaign, name="Partner gym")
    assert (added.merchant_id, added.kind, len(added.token)) == (tenant_a.merchant.pk, "partner", 8)


def test_a_channel_link_counts_its_views_and_the_claim_made_through_it(client, tenant_a):
    campaign, door, article = _campaign_with_channels(tenant_a)
    url = channel_path(door)
    assert url == f"/m/{tenant_a.merchant.slug}/campaigns/{campaign.pk}/c/{door.token}/"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert client.get(channel_path(article)).status_code == 200
    log_in_member(client, tenant_a.member)
    claimed = client.post(url)
    coupon = Coupon.objects.get(member=tenant_a.member)
    assert claimed["Location"] == reverse("coupons:detail", args=[tenant_a.merchant.slug, coupon.code])
    door.refresh_from_db()
    article.refresh_from_db()
    campaign.refresh_from_db()
    assert (door.views, door.claims, article.views, article.claims) == (2, 1, 1, 0)
    assert (campaign.landing_views, campaign.landing_claims) == (3, 1)
    assert coupon.channel == door.claim_channel
    assert (door.claim_channel.name, door.claim_channel.template_id) == ("Autumn · Door poster",
                                                                         campaign.coupon_template_id)


def test_a_visitor_who_claims_through_a_channel_logs_in_and_the_claim_stays_the_channels(client, tenant_a):
    campaign, door, _article = _campaign_with_channels(tenant_a)
    url = channel_path(door)
    visitor = client.post(url)
    assert visitor["Location"] == login_url(tenant_a.merchant, url)
    log_in_member(client, tenant_a.member)
    back = client.get(url)  # back from login: the claim they asked for finishes, through the same channel
    coupon = Coupon.objects.get(member=tenant_a.member)
    assert back["Location"] == reverse("coupons:detail", args=[tenant_a.merchant.slug, coupon.code])
    door.refresh_from_db()
    assert (door.claims, coupon.channel_id) == (1, door.claim_channel_id)


def test_redemptions_and_money_off_per_channel_in_the_campaign_page_and_the_coupons_report(client, tenant_a):
    campaign, door, article = _campaign_with_channels(tenant_a)
    other = Member.objects.create(merchant=tenant_a.merchant, phone="13500000777")
    log_in_member(client, tenant_a.member)
    client.post(channel_path(door))
    client.post(channel_path(door))
    log_in_member(client, other)
    client.post(channel_path(article))
    door.refresh_from_db()
    assert Coupon.objects.filter(channel=door.claim_channel).count() == 2
    for coupon in Coupon.objects.filter(channel=door.claim_channel):
        redeem_coupon(coupon, bill_amount=Decimal("120.00"), store=tenant_a.store)
    staff_client(client, tenant_a.owner)
    page = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    inline = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is CampaignChannel)
    shown = {form.instance.name: (form.instance.views, form.instance.claims, form.instance.redeemed_n,
                                  form.instance.money_off_sum) for form in inline.formset.forms}
    assert shown == {"Door poster": (0, 2, 2, Decimal("20.00")), "Article": (0, 1, 0, Decimal("0"))}
    assert f"/c/{door.token}/" in page.content.decode() and "<svg" in page.content.decode()
    report = {row["name"]: (row["claims"], row["redeemed"], row["money_off"])
              for row in channel_figures(campaign.coupon_template)}
    assert report["Autumn · Door poster"] == (2, 2, Decimal("20.00"))
    assert report["Autumn · Article"] == (1, 0, Decimal("0.00"))


def test_a_cashier_sees_the_channels_links_but_not_their_figures(client, tenant_a):
    campaign, door, _article = _campaign_with_channels(tenant_a)
    staff_client(client, tenant_a.cashier)
    page = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    inline = next(f for f in page.context["inline_admin_formsets"] if f.opts.model is CampaignChannel)
    assert page.status_code == 200 and f"/c/{door.token}/" in page.content.decode()
    assert inline.opts.get_fields(page.wsgi_request) == ["name", "kind", "link"]


def test_a_channel_link_of_another_merchant_or_campaign_is_not_found(client, tenant_a, tenant_b):
    campaign, door, _article = _campaign_with_channels(tenant_a)
    other = make_campaign(tenant_a.merchant, name="Other")
    assert client.get(f"/m/{tenant_b.merchant.slug}/campaigns/{campaign.pk}/c/{door.token}/").status_code == 404
    assert client.get(f"/m/{tenant_a.merchant.slug}/campaigns/{other.pk}/c/{door.token}/").status_code == 404
    staff_client(client, tenant_b.owner)
    assert client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk])).status_code == 404
    door.refresh_from_db()
    assert door.views == 0


def test_a_claim_through_a_channel_is_an_event_for_webhooks(tenant_a):
    from campaigns.services.landing import claim_from_landing
    from tests.webhooks.helpers import deliveries, subscribe

    endpoint, _secret = subscribe(tenant_a.merchant, "https://hooks.example.com/a", "campaign.claimed")
    campaign, door, _article = _campaign_with_channels(tenant_a)
    coupon = claim_from_landing(campaign, tenant_a.member, channel=door)
    [event] = Event.objects.filter(kind="campaign.claimed")
    assert (event.object_id, event.member_id) == (campaign.pk, tenant_a.member.pk)
    assert event.data == {"coupon": coupon.pk, "template": campaign.coupon_template_id, "channel": door.pk,
                          "channel_name": "Door poster"}
    assert [d.kind for d in deliveries(endpoint)] == ["campaign.claimed"]


def test_a_refused_claim_counts_nothing_and_writes_no_event(tenant_a):
    import pytest

    from campaigns.services.landing import claim_from_landing
    from loyalty.errors import DomainError

    campaign, door, _article = _campaign_with_channels(tenant_a)
    campaign.coupon_template.per_member_limit = 1
    campaign.coupon_template.save()
    claim_from_landing(campaign, tenant_a.member, channel=door)
    with pytest.raises(DomainError) as refused:
        claim_from_landing(campaign, tenant_a.member, channel=door)
    assert refused.value.code == "coupon_claim_limit"
    door.refresh_from_db()
    assert (door.claims, Event.objects.filter(kind="campaign.claimed").count()) == (1, 1)


def test_the_poster_page_prints_each_campaign_and_channel(client, tenant_a):
    campaign, door, _article = _campaign_with_channels(tenant_a)
    staff_client(client, tenant_a.owner)
    page = client.get(reverse("admin:merchants_store_posters"), {"kind": "campaign"})
    text = page.content.decode()
    assert page.status_code == 200 and f"/c/{door.token}/" in text and "Autumn · Door poster" in text
