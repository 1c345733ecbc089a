"""Claim channels (渠道): each with its own link and QR code, counting views, claims, redemptions and money off."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from coupons import errors, services
from coupons.models import ClaimChannel, Coupon
from loyalty.errors import DomainError
from loyalty.posters import poster_sources
from tests.admin_forms import admin_form_data
from tests.conftest import race, requires_postgres, staff_client
from tests.coupons.helpers import make_members, make_template
from tests.merchants.test_inbox import log_in


def _channel(template, name="Door poster", kind=ClaimChannel.Kind.POSTER) -> ClaimChannel:
    return ClaimChannel.objects.create(merchant=template.merchant, template=template, name=name, kind=kind)


def test_a_channel_link_opens_the_claim_page_and_counts_a_view_for_the_channel_and_the_template(client, tenant_a):
    template = make_template(tenant_a.merchant)
    door, article = _channel(template), _channel(template, name="Article", kind=ClaimChannel.Kind.ARTICLE)
    for _open in range(3):
        assert client.get(reverse("coupons:channel", args=["alpha", door.token])).status_code == 200
    client.get(reverse("coupons:channel", args=["alpha", article.token]))
    client.get(reverse("coupons:claim", args=["alpha", template.claim_token]))
    door.refresh_from_db(), article.refresh_from_db(), template.refresh_from_db()
    assert (door.views, article.views, template.claim_page_views) == (3, 1, 5)


def test_claiming_through_a_channel_records_it_on_the_coupon_and_counts_the_claim(client, tenant_a):
    template = make_template(tenant_a.merchant)
    door = _channel(template)
    log_in(client, tenant_a.merchant, tenant_a.member.phone)
    response = client.post(reverse("coupons:channel", args=["alpha", door.token]))
    coupon = Coupon.objects.get(member=tenant_a.member, template=template)
    assert response["Location"] == reverse("coupons:detail", args=["alpha", coupon.code])
    door.refresh_from_db(), template.refresh_from_db()
    assert (coupon.channel_id, coupon.source, door.claims, template.claimed_count) == (door.pk, "claim", 1, 1)


def test_a_channel_of_another_template_is_refused_and_nothing_changes(tenant_a):
    template, other = make_template(tenant_a.merchant), make_template(tenant_a.merchant, name="Other")
    foreign = _channel(other)
    with pytest.raises(DomainError) as refused:
        services.claim_coupon(template, tenant_a.member, channel=foreign)
    assert refused.value.code == errors.CHANNEL_NOT_OF_TEMPLATE
    foreign.refresh_from_db(), template.refresh_from_db()
    assert (foreign.claims, template.issued_count, Coupon.objects.count()) == (0, 0, 0)


def test_another_merchants_channel_link_is_a_404(client, tenant_a, tenant_b):
    door = _channel(make_template(tenant_a.merchant))
    assert client.get(reverse("coupons:channel", args=["beta", door.token])).status_code == 404
    door.refresh_from_db()
    assert door.views == 0


def _redeemed_through(template, channel, member, bill: str) -> Coupon:
    coupon = services.claim_coupon(template, member, channel=channel)
    services.redeem_coupon(coupon, bill_amount=Decimal(bill), store=member.merchant.stores.first())
    return coupon


def test_figures_per_channel_and_for_the_templates_own_link(tenant_a):
    template = make_template(tenant_a.merchant, stock=None)
    door, partner = _channel(template), _channel(template, name="Partner", kind=ClaimChannel.Kind.PARTNER)
    members = make_members(tenant_a.merchant, 4)
    _redeemed_through(template, door, members[0], "120.00")
    _redeemed_through(template, door, members[1], "150.00")
    services.claim_coupon(template, members[2], channel=partner)
    own = services.claim_coupon(template, members[3])
    services.redeem_coupon(own, bill_amount=Decimal("100.00"), store=tenant_a.store)
    for _view in range(5):
        services.record_claim_page_view(template, channel=door)
    services.record_claim_page_view(template)
    rows = [(r["name"], r["views"], r["claims"], r["redeemed"], r["money_off"])
            for r in services.channel_figures(template)]
    assert rows == [("Door poster", 5, 2, 2, Decimal("20.00")), ("Partner", 0, 1, 0, Decimal("0")),
                    (None, 1, 1, 1, Decimal("10.00"))]


def test_a_reversed_redemption_leaves_the_channels_figures(tenant_a):
    template = make_template(tenant_a.merchant)
    door = _channel(template)
    coupon = _redeemed_through(template, door, tenant_a.member, "120.00")
    services.reverse_redemption(coupon, staff=None, reason="mistake")
    [row, _own] = services.channel_figures(template)
    assert (row["claims"], row["redeemed"], row["money_off"]) == (1, 0, Decimal("0"))


@requires_postgres()
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_views_opened_at_the_same_moment_are_all_counted():
    from tests.conftest import make_tenant

    tenant = make_tenant("gamma")
    template = make_template(tenant.merchant)
    door = _channel(template)
    race([lambda: services.record_claim_page_view(template, channel=door)] * 8)
    door.refresh_from_db(), template.refresh_from_db()
    assert (door.views, template.claim_page_views) == (8, 8)


@settings(max_examples=25, deadline=None)
@given(discounts=st.lists(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2),
                          min_size=1, max_size=6))
@pytest.mark.django_db
def test_a_channels_money_off_is_the_exact_sum_of_its_redemptions(discounts):
    from coupons.models import CouponRedemption
    from tests.conftest import make_tenant

    tenant = make_tenant(f"h{abs(hash(tuple(discounts))) % 10**8}")
    template = make_template(tenant.merchant, stock=None, per_member_limit=0)
    door = _channel(template)
    for discount in discounts:
        coupon = services.claim_coupon(template, tenant.member, channel=door)
        CouponRedemption.objects.create(merchant=tenant.merchant, coupon=coupon, template=template, store=tenant.store,
                                        bill_amount=discount, discount=discount)
    [row, _own] = services.channel_figures(template)
    assert row["money_off"] == sum(discounts) and row["redeemed"] == len(discounts)


def test_each_channel_has_its_own_poster(tenant_a):
    template = make_template(tenant_a.merchant)
    door = _channel(template)
    posters = poster_sources.get("coupon_claim").posters(tenant_a.merchant)
    assert [p.path for p in posters] == [f"/m/alpha/coupons/claim/{template.claim_token}/",
                                         f"/m/alpha/coupons/ch/{door.token}/"]
    assert posters[1].caption == "10 off 100 · Door poster"


def test_the_template_page_adds_channels_and_shows_their_figures_to_managers(client, tenant_a):
    template = make_template(tenant_a.merchant)
    staff_client(client, tenant_a.manager)
    url = reverse("admin:coupons_coupontemplate_change", args=[template.pk])
    data = admin_form_data(client.get(url), **{"channels-TOTAL_FORMS": "1", "channels-0-name": "Table card",
                                               "channels-0-kind": "poster"})
    assert client.post(url, data).status_code == 302
    channel = ClaimChannel.objects.get(template=template)
    assert (channel.name, channel.merchant_id, len(channel.token)) == ("Table card", tenant_a.merchant.pk, 8)
    change = client.get(url)
    assert f"/m/alpha/coupons/ch/{channel.token}/" in change.content.decode()
    inline = next(f for f in change.context["inline_admin_formsets"] if f.opts.model is ClaimChannel)
    assert inline.opts.get_fields(change.wsgi_request) == ["name", "kind", "link", "views", "claims", "redeemed",
                                                          "money_off"]


def test_a_cashier_sees_channels_and_links_but_no_figures(client, tenant_a):
    template = make_template(tenant_a.merchant)
    door = _channel(template)
    staff_client(client, tenant_a.cashier)
    change = client.get(reverse("admin:coupons_coupontemplate_change", args=[template.pk]))
    assert change.status_code == 200
    inline = next(f for f in change.context["inline_admin_formsets"] if f.opts.model is ClaimChannel)
    assert inline.opts.get_fields(change.wsgi_request) == ["name", "kind", "link"]
    listing = client.get(reverse("admin:coupons_claimchannel_changelist"))
    assert listing.status_code == 200 and door.name in listing.content.decode()
    assert listing.context["cl"].list_display == ["name", "template", "kind", "short_link"]


def test_the_channel_list_exports_its_figures_as_numbers(client, tenant_a, in_english):
    template = make_template(tenant_a.merchant)
    door = _channel(template)
    _redeemed_through(template, door, tenant_a.member, "120.00")
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:coupons_claimchannel_changelist"),
                           {"action": "export_csv", "_selected_action": [door.pk]})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:8] == ["name", "coupon template", "kind", "link token", "views", "claims", "redeemed",
                           "money taken off bills"]
    assert rows[1][:8] == ["Door poster", "10 off 100", "poster in store", door.token, "0", "1", "1", "10.00"]


def test_a_cashier_cannot_export_channels(client, tenant_a):
    door = _channel(make_template(tenant_a.merchant))
    staff_client(client, tenant_a.cashier)
    response = client.post(reverse("admin:coupons_claimchannel_changelist"),
                           {"action": "export_csv", "_selected_action": [door.pk]})
    assert response.status_code == 200 and "text/csv" not in response.get("Content-Type", "")
