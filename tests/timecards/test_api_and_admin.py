"""Time cards through the terminal API and the admin; another merchant's staff and terminals get nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cards.timecards import services
from cards.timecards.models import IdentityPhoto, TimeCard
from loyalty.usable_cards import card_code
from tests.conftest import staff_client
from tests.timecards.helpers import make_tier

pytestmark = pytest.mark.django_db
SALE = reverse("api:time-card-sale")


def test_a_cash_sale_through_the_api_and_none_of_another_merchants_tier(tenant_a, tenant_b):
    tier = make_tier(tenant_a.merchant)
    response = tenant_a.api().post(SALE, {"member": tenant_a.member.pk, "tier": tier.pk}, format="json",
                                   HTTP_IDEMPOTENCY_KEY="tc-1")
    assert response.status_code == 201 and response.json()["days"] == 30
    assert tenant_b.api().post(SALE, {"member": tenant_b.member.pk, "tier": tier.pk}, format="json").status_code == 404
    assert not TimeCard.objects.filter(member=tenant_b.member).exists()


def test_another_merchants_time_card_is_unknown_to_a_terminal(tenant_a, tenant_b):
    card = services.sell_card(make_tier(tenant_a.merchant), tenant_a.member, store=tenant_a.store)
    code = card_code("time", merchant_id=tenant_a.merchant.pk, card_id=card.pk)
    response = tenant_b.api().post(reverse("api:card-uses"), {"code": code}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "card_code_invalid"
    assert not card.card_uses.exists()


def test_a_cashier_adds_the_photo_of_a_member_who_has_none(client, tenant_a):
    tier = make_tier(tenant_a.merchant)
    staff_client(client, tenant_a.cashier)
    response = client.post(reverse("admin:timecards_identityphoto_add"), {
        "member": tenant_a.member.pk, "product": tier.product.pk,
        "image": SimpleUploadedFile("face.jpg", b"jpeg", "image/jpeg")})
    assert response.status_code == 302, response.context["adminform"].form.errors
    photo = IdentityPhoto.objects.get()
    assert (photo.member, photo.uploaded_by) == (tenant_a.member, tenant_a.cashier.user)


def test_the_redeem_screen_shows_the_photo_and_records_who_confirmed(client, tenant_a):
    settings_ = services.time_card_settings(tenant_a.merchant)
    settings_.identity_check = True
    settings_.save()
    tier = make_tier(tenant_a.merchant)
    card = services.sell_card(tier, tenant_a.member, store=tenant_a.store)
    services.save_photo(tenant_a.member, tier.product, SimpleUploadedFile("me.png", b"png", "image/png"))
    staff_client(client, tenant_a.cashier)
    redeem = reverse("admin:punchcards_punchcard_redeem")
    shown = client.post(redeem, {"code": tenant_a.member.phone, "store": tenant_a.store.pk})
    assert shown.context["found"][0].extra["photo_url"] in shown.content.decode()
    refused = client.post(redeem, {"code": tenant_a.member.phone, "store": tenant_a.store.pk, "kind": "time",
                                   "card": card.pk, "confirm": "1"})
    assert refused.status_code == 200 and not card.card_uses.exists()
    client.post(redeem, {"code": tenant_a.member.phone, "store": tenant_a.store.pk, "kind": "time", "card": card.pk,
                         "identity_confirmed": "1", "confirm": "1"})
    use = card.card_uses.get()
    assert (use.identity_confirmed, use.staff) == (True, tenant_a.cashier.user)
