"""Member pages: the wallet page, recharging through the gateway, red packet links, the home tile."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from loyalty.models import GatewayPayment
from tests.wallet.helpers import balances, enable_stored_value
from wallet import services
from wallet.models import CashbackRule, Recharge, RechargeOffer, RedPacketCampaign

D = Decimal


def _login(client, member):
    session = client.session
    session[f"member:{member.merchant_id}"] = member.pk
    session.save()


def test_wallet_page_needs_a_login(client, tenant_a):
    response = client.get(reverse("wallet:home", args=[tenant_a.merchant.slug]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_wallet_page_shows_pockets_expiries_offers_and_history(client, tenant_a):
    enable_stored_value(tenant_a.merchant)
    RechargeOffer.objects.create(merchant=tenant_a.merchant, name="200+30", pay_amount=D("200.00"),
                                 bonus_value=D("30.00"))
    services.recharge(tenant_a.member, "200.00")
    CashbackRule.objects.create(merchant=tenant_a.merchant, percent=D("10"), expiry_days=7)
    services.cashback_for_payment(tenant_a.member, paid_amount=D("50.00"), store=tenant_a.store, reference="P1")
    _login(client, tenant_a.member)
    html = client.get(reverse("wallet:home", args=[tenant_a.merchant.slug])).content.decode()
    expiry = timezone.localtime(timezone.now() + timedelta(days=7)).strftime("%Y-%m-%d")
    for text in ["¥200.00", "¥30.00", "¥5.00", expiry, 'data-offer="', 'id="wallet-history"']:
        assert text in html, text


def test_other_members_history_is_not_shown(client, tenant_a, tenant_b):
    enable_stored_value(tenant_b.merchant)
    services.recharge(tenant_b.member, "777.00")
    _login(client, tenant_a.member)
    html = client.get(reverse("wallet:home", args=[tenant_a.merchant.slug])).content.decode()
    assert "777.00" not in html


def test_recharging_sends_the_member_to_the_gateway(client, tenant_a):
    enable_stored_value(tenant_a.merchant)
    _login(client, tenant_a.member)
    response = client.post(reverse("wallet:recharge", args=[tenant_a.merchant.slug]), {"amount": "88.00"})
    payment = GatewayPayment.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("payments:sandbox",
                                                                           args=[payment.out_trade_no])
    assert payment.amount == D("88.00") and payment.member == tenant_a.member
    assert f"recharge={Recharge.objects.get().pk}" in payment.return_url


def test_a_bad_recharge_amount_is_shown_and_nothing_starts(client, tenant_a):
    enable_stored_value(tenant_a.merchant)
    _login(client, tenant_a.member)
    response = client.post(reverse("wallet:recharge", args=[tenant_a.merchant.slug]), {"amount": "8.888"},
                           follow=True)
    assert "two decimal places" in response.content.decode() or "两位小数" in response.content.decode()
    assert not GatewayPayment.objects.exists() and not Recharge.objects.exists()


def test_red_packet_link(client, tenant_a):
    campaign = RedPacketCampaign.objects.create(merchant=tenant_a.merchant, name="Spring", trigger="link",
                                                amount=D("6.66"), budget=D("100.00"))
    _login(client, tenant_a.member)
    url = reverse("wallet:red-packet", args=[tenant_a.merchant.slug, campaign.link_token])
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    client.post(url)
    assert balances(tenant_a.member)[2] == D("6.66")


def test_home_tile_shows_what_the_member_can_spend(client, tenant_a):
    enable_stored_value(tenant_a.merchant)
    services.recharge(tenant_a.member, "12.00")
    _login(client, tenant_a.member)
    html = client.get(reverse("member:home", args=[tenant_a.merchant.slug])).content.decode()
    assert reverse("wallet:home", args=[tenant_a.merchant.slug]) in html and "¥12.00" in html
