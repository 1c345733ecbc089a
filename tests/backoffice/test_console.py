"""The console's new pages: member 360 with panels from every app, QR posters from every source, the guided
coupon template form, and self-pay from the member home."""

from decimal import Decimal

import pytest
from django.urls import reverse

from cards.membership.models import PointsEntry
from coupons import services as coupons
from coupons.models import CouponTemplate
from loyalty.member_panels import MemberPanel, Panel, member_panels
from loyalty.posters import Poster, PosterSource, poster_sources
from merchants.models import Store
from merchants.views import log_member_in
from tests.admin_forms import admin_form_data
from tests.checkout.helpers import fund_wallet, give_points, program_with_levels
from tests.conftest import staff_client
from tests.coupons.helpers import make_template

pytestmark = pytest.mark.django_db


def _overview(member):
    return reverse("admin:merchants_member_overview", args=[member.pk])


class StampPanel(MemberPanel):
    code = "test.stamps"
    order = 60

    def panel(self, member, request):
        return Panel("Stamp card", figures=[("stamps", 7)])


def test_member_360_shows_level_points_balances_coupons_visits_and_messages(client, tenant_a, in_english):
    program_with_levels(tenant_a.merchant)
    give_points(tenant_a.member, 150)
    fund_wallet(tenant_a.member, "40.00")
    coupon = coupons.claim_coupon(make_template(tenant_a.merchant), tenant_a.member)
    staff_client(client, tenant_a.owner)
    page = client.get(_overview(tenant_a.member)).content.decode()
    for title in ("Member", "Membership card", "Stored value", "Coupons", "Recent visits", "Recent messages"):
        assert f"<h2>{title}</h2>" in page
    staff_client(client, tenant_a.cashier)  # serves members, reads no outbox
    cashiers = client.get(_overview(tenant_a.member)).content.decode()
    assert "<h2>Stored value</h2>" in cashiers and "<h2>Recent messages</h2>" not in cashiers
    assert "¥40.00" in page and "150" in page and coupon.display_code in page and tenant_a.member.phone in page


def test_an_app_adds_its_panel_to_member_360_by_registering_it(client, tenant_a, in_english):
    staff_client(client, tenant_a.owner)
    with member_panels.registered(StampPanel()):
        page = client.get(_overview(tenant_a.member)).content.decode()
    assert "<h2>Stamp card</h2>" in page and "stamps" in page


def test_member_360_of_another_merchants_member_is_not_found(client, tenant_a, tenant_b):
    staff_client(client, tenant_b.owner)
    assert client.get(_overview(tenant_a.member)).status_code == 404


def test_posters_cover_every_stores_self_pay_joining_and_each_claim_link(client, tenant_a, tenant_b):
    template = make_template(tenant_a.merchant)
    make_template(tenant_b.merchant, name="B only")
    staff_client(client, tenant_a.manager)
    page = client.get(reverse("admin:merchants_store_posters")).content.decode()
    for store in (tenant_a.store, tenant_a.other_store):
        assert reverse("checkout:pay", args=[tenant_a.merchant.slug, store.pk]) in page
    assert reverse("member:join", args=[tenant_a.merchant.slug]) in page
    assert reverse("coupons:claim", args=[tenant_a.merchant.slug, template.claim_token]) in page
    assert "B only" not in page and tenant_b.merchant.slug not in page
    assert page.count('class="poster"') == 4 and page.count("<svg") >= 4


def test_a_poster_source_adds_its_posters_and_the_page_filters_by_kind(client, tenant_a):
    class Punch(PosterSource):
        code = "test_punch"
        label = "Punch cards"

        def posters(self, merchant):
            return [Poster("Scan for a punch card", "10 coffees", f"/m/{merchant.slug}/punch/")]

    staff_client(client, tenant_a.owner)
    with poster_sources.registered(Punch()):
        page = client.get(reverse("admin:merchants_store_posters"), {"kind": "test_punch"}).content.decode()
    assert "10 coffees" in page and page.count('class="poster"') == 1


def test_the_coupon_template_form_picks_weekdays_and_products_and_keeps_only_the_kinds_fields(client, tenant_a):
    make_template(tenant_a.merchant, name="Latte day", scope=CouponTemplate.Scope.PRODUCTS, products=["latte"])
    staff_client(client, tenant_a.owner)
    add = reverse("admin:coupons_coupontemplate_add")
    form_page = client.get(add)
    html = form_page.content.decode()
    assert 'data-kind-fields=' in html and 'data-known="[&quot;latte&quot;]"' in html
    assert 'type="checkbox" name="weekdays"' in html and "code-picker" in html
    data = admin_form_data(form_page, name="Weekend 8折", kind="discount", discount_percent="80",
                           amount_off="5.00", scope="products", products="latte， mocha  latte",
                           weekdays=["6", "7"], validity="relative", valid_days="30", per_member_limit="1")
    response = client.post(add, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = CouponTemplate.objects.get(name="Weekend 8折")
    assert saved.products == ["latte", "mocha"] and saved.weekdays == [6, 7]
    assert saved.discount_percent == Decimal("80") and saved.amount_off is None  # another kind's field dropped
    change = client.get(reverse("admin:coupons_coupontemplate_change", args=[saved.pk])).content.decode()
    assert 'value="latte, mocha"' in change


def _member_client(client, member):
    request = client.get(reverse("member:home", args=[member.merchant.slug])).wsgi_request
    log_member_in(request, member)
    request.session.save()
    client.cookies["sessionid"] = request.session.session_key
    return client


def test_self_pay_is_reachable_from_the_member_home(client, tenant_a):
    _member_client(client, tenant_a.member)
    slug = tenant_a.merchant.slug
    home = client.get(reverse("member:home", args=[slug])).content.decode()
    assert reverse("checkout:stores", args=[slug]) in home
    stores = client.get(reverse("checkout:stores", args=[slug])).content.decode()
    assert reverse("checkout:pay", args=[slug, tenant_a.store.pk]) in stores
    Store.objects.filter(pk=tenant_a.other_store.pk).update(is_open=False)
    home = client.get(reverse("member:home", args=[slug])).content.decode()
    assert reverse("checkout:pay", args=[slug, tenant_a.store.pk]) in home


def test_member_pages_write_times_in_the_merchants_zone(client, tenant_a):
    program_with_levels(tenant_a.merchant)
    give_points(tenant_a.member, 10)
    tenant_a.merchant.time_zone = "America/New_York"
    tenant_a.merchant.save()
    entry = PointsEntry.objects.get(card__member=tenant_a.member)
    _member_client(client, tenant_a.member)
    page = client.get(reverse("membership:card", args=[tenant_a.merchant.slug])).content.decode()
    assert entry.created_at.astimezone(tenant_a.merchant.zone).strftime("%Y-%m-%d %H:%M") in page
