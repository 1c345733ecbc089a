"""The campaigns console and member pages: figures for the roles that see them, the preview, the landing page,
short links, the opt-out link and switch, and consent on the mass-send path."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from campaigns.models import Campaign, ShortLink
from campaigns.services.messages import short_link_for, sms_length
from campaigns.services.occurrences import run_occurrence, start_occurrence
from coupons.models import Coupon
from coupons.services import create_issuance, run_issuance
from loyalty.models import OutboxMessage
from merchants.models import MarketingConsentChange, Member
from merchants.services.marketing import opt_out_token, set_marketing_consent
from merchants.views import login_url
from tests.campaigns.helpers import make_campaign
from tests.conftest import staff_client
from tests.coupons.helpers import make_template

REPLICA = pytest.mark.django_db(databases=["default", "replica"], transaction=True)


def test_sms_length_counts_parts_in_gsm7_and_ucs2():
    assert (sms_length("a" * 160).parts, sms_length("a" * 161).parts) == (1, 2)
    assert sms_length("a" * 307).parts == 3           # 153 a part
    assert (sms_length("生" * 70).encoding, sms_length("生" * 70).parts) == ("UCS-2", 1)
    assert sms_length("生" * 71).parts == 2 and sms_length("生" * 135).parts == 3   # 67 a part
    assert sms_length("{}").characters == 4           # extension characters take two places


@REPLICA
def test_owner_sees_figures_and_the_report_but_a_cashier_sees_neither(client, tenant_a):
    campaign = make_campaign(tenant_a.merchant, name="Wake-up", holdout_percent=0)
    run_occurrence(start_occurrence(campaign, key="once", start=False).pk)
    staff_client(client, tenant_a.owner)
    listing = client.get(reverse("admin:campaigns_campaign_changelist"))
    assert listing.status_code == 200 and "figure_sent" in listing.content.decode()
    report = client.get(reverse("admin:campaigns_campaign_report", args=[campaign.pk]))
    assert report.status_code == 200 and "uplift-table" in report.content.decode()
    days = client.get(reverse("admin:campaigns_campaign_days", args=[campaign.pk]))
    assert days.status_code == 200 and b"".join(days.streaming_content).decode("utf-8-sig").count("\n") == 2
    staff_client(client, tenant_a.cashier)
    listing = client.get(reverse("admin:campaigns_campaign_changelist"))
    assert listing.status_code == 200 and "figure_sent" not in listing.content.decode()
    assert client.get(reverse("admin:campaigns_campaign_report", args=[campaign.pk])).status_code == 403
    assert client.get(reverse("admin:campaigns_campaign_days", args=[campaign.pk])).status_code == 403


def test_another_merchants_staff_get_no_report_or_preview(client, tenant_a, tenant_b):
    campaign = make_campaign(tenant_a.merchant)
    staff_client(client, tenant_b.owner)
    for name in ("report", "preview", "days"):
        assert client.get(reverse(f"admin:campaigns_campaign_{name}", args=[campaign.pk])).status_code == 404


def test_preview_fills_the_placeholders_for_a_real_member_and_counts_sms_parts(client, tenant_a):
    template = make_template(tenant_a.merchant, name="生日券")
    campaign = make_campaign(tenant_a.merchant, coupon_template=template,
                             sms="{name}，生日快乐！{coupon}已到账，{expiry}前有效：{link}")
    staff_client(client, tenant_a.manager)
    page = client.get(reverse("admin:campaigns_campaign_preview", args=[campaign.pk]), {"phone": tenant_a.member.phone})
    text = page.content.decode()
    assert "alpha member，生日快乐！生日券已到账" in text
    assert "/s/" + short_link_for(campaign).code in text and "UCS-2" in text


def test_the_landing_page_counts_views_and_a_member_claims_its_coupon(client, tenant_a):
    template = make_template(tenant_a.merchant, name="Landing coupon")
    campaign = make_campaign(tenant_a.merchant, coupon_template=template, landing_title="Autumn offers")
    url = reverse("campaigns:landing", args=[tenant_a.merchant.slug, campaign.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Autumn offers" in page.content.decode()
    assert "登录后领取" in page.content.decode()
    visitor = client.post(url)
    assert visitor.status_code == 302 and visitor["Location"] == login_url(tenant_a.merchant, url)
    session = client.session
    session[f"member:{tenant_a.merchant.pk}"] = tenant_a.member.pk
    session.save()
    claimed = client.get(url)  # back from login as a member: the claim they asked for finishes itself
    coupon = Coupon.objects.get(template=template, member=tenant_a.member)
    assert claimed["Location"] == reverse("coupons:detail", args=[tenant_a.merchant.slug, coupon.code])
    campaign.refresh_from_db()
    assert (campaign.landing_views, campaign.landing_claims) == (1, 1)


def test_a_short_link_redirects_and_counts_clicks(client, tenant_a):
    link = short_link_for(make_campaign(tenant_a.merchant))
    response = client.get(f"/s/{link.code}")
    assert response.status_code == 302 and response["Location"] == link.target
    assert ShortLink.objects.get(pk=link.pk).clicks == 1
    assert client.get("/s/nope").status_code == 404


def test_the_opt_out_link_confirms_then_records_how(client, tenant_a):
    url = reverse("marketing_opt_out", args=[opt_out_token(tenant_a.member.pk)])
    assert client.get(url).status_code == 200
    assert Member.objects.get(pk=tenant_a.member.pk).marketing_opt_out_at is None   # a GET changes nothing
    assert client.post(url).status_code == 200
    change = MarketingConsentChange.objects.get(member=tenant_a.member)
    assert (change.opted_in, change.how) == (False, MarketingConsentChange.How.LINK)
    forged = reverse("marketing_opt_out", args=[f"{tenant_a.member.pk}-0123456789abcdef"])
    assert client.get(forged).status_code == 404


def test_the_member_switch_turns_offers_off_and_on(client, tenant_a):
    session = client.session
    session[f"member:{tenant_a.merchant.pk}"] = tenant_a.member.pk
    session.save()
    url = reverse("member:marketing", args=[tenant_a.merchant.slug])
    client.post(url, {"accepts": "0"})
    assert Member.objects.get(pk=tenant_a.member.pk).marketing_opt_out_at is not None
    client.post(url, {"accepts": "1"})
    assert Member.objects.get(pk=tenant_a.member.pk).marketing_opt_out_at is None
    assert list(MarketingConsentChange.objects.filter(member=tenant_a.member).order_by("pk")
                .values_list("opted_in", "how")) == [(False, "page"), (True, "page")]


def test_the_mass_send_notice_skips_members_who_opted_out(tenant_a):
    other = Member.objects.create(merchant=tenant_a.merchant, phone="13500000009")
    set_marketing_consent(other, accepts=False, how=MarketingConsentChange.How.STAFF)
    template = make_template(tenant_a.merchant, stock=None)
    issuance = create_issuance(template, start=False)
    run_issuance(issuance.pk)
    assert Coupon.objects.filter(template=template).count() == 2          # the coupon is still theirs
    assert list(OutboxMessage.objects.filter(kind="marketing").values_list("recipient", flat=True)) == [
        tenant_a.member.phone]


def test_opted_out_members_get_no_campaign_message_on_any_channel(tenant_a):
    set_marketing_consent(tenant_a.member, accepts=False, how=MarketingConsentChange.How.PAGE)
    campaign = make_campaign(tenant_a.merchant, inbox="Hi", rules=[("always", "inbox")])
    done = run_occurrence(start_occurrence(campaign, key="once", start=False).pk)
    assert done.eligible == 0 and not OutboxMessage.objects.filter(member=tenant_a.member).exists()
    assert Campaign.objects.get(pk=campaign.pk).holdout_percent == Decimal("0")


def test_the_dashboard_shows_active_campaigns_and_what_their_runs_reached(tenant_a, tenant_b):
    from django.utils import timezone, translation

    from campaigns.models import Occurrence
    from campaigns.tiles import ActiveCampaignsTile
    from loyalty.dashboard import DashboardScope, Window

    campaign = make_campaign(tenant_a.merchant)
    make_campaign(tenant_a.merchant, name="Wake-up")
    make_campaign(tenant_a.merchant, name="Draft", status=Campaign.Status.DRAFT)
    make_campaign(tenant_b.merchant, name="Another merchant's")
    now = timezone.now()
    Occurrence.objects.create(merchant=tenant_a.merchant, campaign=campaign, key="today", due_at=now,
                              treated=90, held_out=10, status=Occurrence.Status.COMPLETED)
    Occurrence.objects.create(merchant=tenant_a.merchant, campaign=campaign, key="earlier",
                              due_at=now - timezone.timedelta(days=3), treated=5, held_out=1,
                              status=Occurrence.Status.CANCELLED)
    windows = (Window("today", "today", now - timezone.timedelta(hours=1), now + timezone.timedelta(hours=1)),
               Window("before", "before", now - timezone.timedelta(days=4), now - timezone.timedelta(hours=1)))
    with translation.override("en"):
        figures = ActiveCampaignsTile().measure(DashboardScope(tenant_a.merchant.pk, (), windows))
    assert [(f.label, f.values) for f in figures] == [
        ("active campaigns", (2, 2)), ("campaign runs", (1, 0)), ("members reached", (90, 5)),
        ("held out (control group)", (10, 1))]
    assert all(not f.money for f in figures)  # counts only: a cashier may see them
