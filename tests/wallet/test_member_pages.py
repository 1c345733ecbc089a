"""Member pages: the wallet page, recharging through the gateway, red packet links, the home tile."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loyalty.errors import DomainError
from loyalty.models import GatewayPayment
from tests.coupons.helpers import make_template
from tests.wallet.helpers import balances, enable_stored_value, log_in_member
from wallet import services
from wallet.models import CashbackRule, Recharge, RechargeOffer, RechargeOfferCoupon, RedPacketCampaign

D = Decimal


def test_wallet_page_needs_alog_in_member(client, tenant_a):
    response = client.get(reverse("wallet:home", args=[tenant_a.merchant.slug]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_wallet_page_shows_pockets_expiries_offers_and_history(client, tenant_a):
    enable_stored_value(tenant_a.merchant)
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="200+30", pay_amount=D("200.00"),
                                 bonus_value=D("30.00"))
    services.recharge(tenant_a.member, "200.00")
    CashbackRule.objects.create(merchant=tenant_a.merchant, percent=D("10"), expiry_days=7)
    services.cashback_for_payment(tenant_a.member, paid_amount=D("50.00"), store=tenant_a.store, reference="P1")
    log_in_member(client, tenant_a.member)
    html = client.get(reverse("wallet:home", args=[tenant_a.merchant.slug])).content.decode()
    expiry = timezone.localtime(timezone.now() + timedelta(days=7)).strftime("%Y-%m-%d")
    for text in ["¥200.00", "¥30.00", "¥5.00", expiry, 'data-offer="', 'id="wallet-history"']:
        assert text in html, text


def test_other_members_history_is_not_shown(client, tenant_a, tenant_b):
    enable_stored_value(tenant_b.merchant)
    services.recharge(tenant_b.member, "777.00")
    log_in_member(client, tenant_a.member)
    html = client.get(reverse("wallet:home", args=[tenant_a.merchant.slug])).content.decode()
    assert "777.00" not in html


def test_recharging_sends_the_member_to_the_gateway(client, tenant_a):
    enable_stored_value(tenant_a.merchant)
    log_in_member(client, tenant_a.member)
    response = client.post(reverse("wallet:recharge", args=[tenant_a.merchant.slug]), {"amount": "88.00"})
    payment = GatewayPayment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments:sandbox",
                                                                           args=[payment.out_trade_no])
    assert payment.amount == D("88.00") and payment.member == tenant_a.member
    assert f"recharge={Recharge.objects.get().pk}" in payment.return_url


def test_a_bad_recharge_amount_is_shown_and_nothing_starts(client, tenant_a):
    enable_stored_value(tenant_a.merchant)
    log_in_member(client, tenant_a.member)
    response = client.post(reverse("wallet:recharge", args=[tenant_a.merchant.slug]), {"amount": "8.888"},
                           follow=True)
    assert "two decimal places" in response.content.decode() or "两位小数" in response.content.decode()
    assert not GatewayPayment.objects.exists() and not Recharge.objects.exists()


def test_red_packet_link(client, tenant_a):
    campaign = RedPacketCampaign.objects.create(merchant=tenant_a.merchant, name="Spring", trigger="link",
                                                amount=D("6.66"), budget=D("100.00"))
    log_in_member(client, tenant_a.member)
    url = reverse("wallet:red-packet", args=[tenant_a.merchant.slug, campaign.link_token])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    client.post(url)
    assert balances(tenant_a.member)[2] == D("6.66")


def test_home_tile_shows_what_the_member_can_spend(client, tenant_a):
    enable_stored_value(tenant_a.merchant)
    services.recharge(tenant_a.member, "12.00")
    log_in_member(client, tenant_a.member)
    html = client.get(reverse("member:home", args=[tenant_a.merchant.slug])).content.decode()
    assert reverse("wallet:home", args=[tenant_a.merchant.slug]) in html and "¥12.00" in html


@pytest.mark.parametrize(("amount", "code"), [
    ("-5.00", "amount_not_positive"), ("0", "amount_not_positive"), ("8.888", "amount_too_precise"),
    ("1000.01", "amount_too_large"), ("", "amount_invalid"), ("abc", "amount_invalid"),
])
def test_every_bad_recharge_amount_is_refused_on_the_page_with_the_services_message(client, tenant_a, amount,
                                                                                    code):
    enable_stored_value(tenant_a.merchant, max_recharge=D("1000.00"))
    log_in_member(client, tenant_a.member)
    with pytest.raises(DomainError) as error:
        services.recharge(tenant_a.member, amount)
    assert error.value.code == code
    response = client.post(reverse("wallet:recharge", args=[tenant_a.merchant.slug]), {"amount": amount},
                           follow=True)
    assert str(error.value.message) in response.content.decode()
    assert not GatewayPayment.objects.exists() and not Recharge.objects.exists()


def test_an_offer_of_another_merchant_cannot_be_recharged(client, tenant_a, tenant_b):
    enable_stored_value(tenant_a.merchant)
    theirs = RechargeOffer.objects.create(merchant=tenant_b.merchant, name="theirs", pay_amount=D("1.00"))
    log_in_member(client, tenant_a.member)
    response = client.post(reverse("wallet:recharge", args=[tenant_a.merchant.slug]), {"offer": theirs.pk})
    assert response.status_code == 404 and not GatewayPayment.objects.exists()


def test_wallet_page_shows_red_packets_and_when_each_expires(client, tenant_a):
    soon = RedPacketCampaign.objects.create(merchant=tenant_a.merchant, name="Soon", trigger="link",
                                            amount=D("3.33"), budget=D("10.00"), expiry_days=3)
    forever = RedPacketCampaign.objects.create(merchant=tenant_a.merchant, name="Forever", trigger="link",
                                               amount=D("4.44"), budget=D("10.00"), expiry_days=0)
    services.claim_red_packet(soon, tenant_a.member)
    services.claim_red_packet(forever, tenant_a.member)
    log_in_member(client, tenant_a.member)
    html = client.get(reverse("wallet:home", args=[tenant_a.merchant.slug])).content.decode()
    lots = html[html.index('id="cashback-lots"'):]
    expiry = timezone.localtime(timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d")
    assert "¥3.33" in lots and expiry in lots and "¥4.44" in lots and "Soon" in lots and "Forever" in lots
    assert lots.index("¥3.33") < lots.index("¥4.44")  # soonest to expire first, the never-expiring last
    assert 'id="balance-cashback">¥7.77' in html


def test_wallet_page_queries_do_not_grow_with_offers_lots_or_history(client, tenant_a):
    enable_stored_value(tenant_a.merchant)
    log_in_member(client, tenant_a.member)
    url = reverse("wallet:home", args=[tenant_a.merchant.slug])

    def add(n):
        template = make_template(tenant_a.merchant, name=f"T{n}", per_member_limit=0)
        offer = RechargeOffer.objects.create(merchant=tenant_a.merchant, name=f"O{n}", pay_amount=D(100 + n))
        RechargeOfferCoupon.objects.create(merchant=tenant_a.merchant, offer=offer, template=template)
        campaign = RedPacketCampaign.objects.create(merchant=tenant_a.merchant, name=f"R{n}", trigger="link",
                                                    amount=D("1.00"), budget=D("10.00"))
        services.claim_red_packet(campaign, tenant_a.member)
        services.recharge(tenant_a.member, "1.00")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    add(0)
    few = count()
    for n in range(1, 6):
        add(n)
    assert count() == few


def test_wallet_page_shows_the_monthly_bonus_still_to_come(client, tenant_a):
    enable_stored_value(tenant_a.merchant)
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="monthly", pay_amount=D("500.00"),
                                 monthly_bonus=D("25.00"), monthly_bonus_months=3)
    recharge = services.recharge(tenant_a.member, "500.00")
    services.pay_due_instalments(recharge.instalments.get(sequence=1).due_date)
    log_in_member(client, tenant_a.member)
    html = client.get(reverse("wallet:home", args=[tenant_a.merchant.slug])).content.decode()
    upcoming = html[html.index('id="bonus-instalments"'):html.index("</ul>", html.index('id="bonus-instalments"'))]
    dues = [d.strftime("%Y-%m-%d") for d in recharge.instalments.values_list("due_date", flat=True)]
    assert upcoming.count("¥25.00") == 2 and dues[0] not in upcoming and dues[1] in upcoming and dues[2] in upcoming
    services.refund_recharge(recharge)
    html = client.get(reverse("wallet:home", args=[tenant_a.merchant.slug])).content.decode()
    assert 'id="bonus-instalments"' not in html
