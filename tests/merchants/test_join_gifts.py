"""The join gift (入会礼): lines of any registered kind, given inside the joining transaction."""

import pytest
from django.urls import reverse

from cards.membership.services import card_for
from coupons.models import Coupon
from loyalty.benefits import benefits
from merchants.models import JoinGift, JoinGiftBenefit
from merchants.roles import sync_role_groups
from merchants.services import join_member
from tests.conftest import staff_client
from tests.coupons.helpers import make_template
from tests.stamp_benefit import StampBenefit

pytestmark = pytest.mark.django_db


def test_a_new_member_gets_every_line_of_the_join_gift(tenant_a):
    gift = JoinGift.objects.create(merchant=tenant_a.merchant)
    template = make_template(tenant_a.merchant, name="Welcome", per_member_limit=2)
    gift.benefits.create(merchant=tenant_a.merchant, kind="points", quantity=50, position=0)
    gift.benefits.create(merchant=tenant_a.merchant, kind="coupon", quantity=2, target_id=template.pk, position=1)
    with benefits.registered(StampBenefit()) as stamps:
        gift.benefits.create(merchant=tenant_a.merchant, kind="test_stamp", quantity=1, target_id=tenant_a.store.pk,
                             position=2)
        member = join_member(tenant_a.merchant, "13766666666")
    assert card_for(member).points == 50
    assert list(Coupon.objects.filter(member=member).values_list("source", flat=True)) == ["join_gift"] * 2
    assert stamps.given == [(f"join:{member.pk}", 1)]


def test_a_join_gift_switched_off_gives_nothing(tenant_a):
    gift = JoinGift.objects.create(merchant=tenant_a.merchant, is_active=False)
    gift.benefits.create(merchant=tenant_a.merchant, kind="points", quantity=50)
    member = join_member(tenant_a.merchant, "13766666666")
    assert card_for(member).points == 0


def test_another_merchants_join_gift_is_not_given(tenant_a, tenant_b):
    gift = JoinGift.objects.create(merchant=tenant_b.merchant)
    gift.benefits.create(merchant=tenant_b.merchant, kind="points", quantity=50)
    assert card_for(join_member(tenant_a.merchant, "13766666666")).points == 0


def _gift_form(merchant, lines):
    data = {"merchant": merchant.pk, "is_active": "on", "benefits-TOTAL_FORMS": str(len(lines)),
            "benefits-INITIAL_FORMS": "0", "benefits-MIN_NUM_FORMS": "0", "benefits-MAX_NUM_FORMS": "1000"}
    for n, line in enumerate(lines):
        data.update({f"benefits-{n}-{name}": value for name, value in
                     {"quantity": "0", "amount": "0", "position": str(n), **line}.items()})
    return data


def test_the_join_gift_admin_saves_lines_for_the_staff_members_merchant(client, tenant_a):
    sync_role_groups()
    template = make_template(tenant_a.merchant, name="Welcome")
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:merchants_joingift_add"), _gift_form(tenant_a.merchant, [
        {"kind": "coupon", "template": str(template.pk), "quantity": "1"}, {"kind": "points", "quantity": "30"}]))
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(JoinGiftBenefit.objects.order_by("position").values_list("merchant_id", "kind", "target_id")) == [
        (tenant_a.merchant.pk, "coupon", template.pk), (tenant_a.merchant.pk, "points", None)]


def test_the_join_gift_admin_refuses_another_merchants_coupon(client, tenant_a, tenant_b):
    sync_role_groups()
    theirs = make_template(tenant_b.merchant, name="theirs")
    staff_client(client, tenant_a.owner)
    response = client.post(reverse("admin:merchants_joingift_add"), _gift_form(tenant_a.merchant, [
        {"kind": "coupon", "template": str(theirs.pk), "quantity": "1"}]))
    assert response.status_code == 200 and not JoinGift.objects.exists()
    assert "template" in response.context["inline_admin_formsets"][0].formset.forms[0].errors


def test_a_cashier_cannot_open_the_join_gift(client, tenant_a):
    sync_role_groups()
    JoinGift.objects.create(merchant=tenant_a.merchant)
    staff_client(client, tenant_a.cashier)
    assert client.get(reverse("admin:merchants_joingift_changelist")).status_code == 403
