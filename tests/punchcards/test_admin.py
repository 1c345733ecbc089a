"""The admin: the redeem screen shows the card and the member before confirming; sales, undo, exports."""

import io

import openpyxl
import pytest
from django.urls import reverse

from cards.punchcards import services
from cards.punchcards.models import PunchCard, PunchCardUse
from loyalty.usable_cards import card_code
from tests.conftest import staff_client
from tests.punchcards.helpers import make_product

pytestmark = pytest.mark.django_db
REDEEM = reverse("admin:punchcards_punchcard_redeem")


@pytest.fixture
def card(tenant_a):
    return services.sell_card(make_product(tenant_a.merchant), tenant_a.member, store=tenant_a.store)


def test_the_scanned_card_and_its_member_are_shown_before_anything_changes(client, tenant_a, card):
    staff_client(client, tenant_a.cashier)
    code = card_code("punch", merchant_id=tenant_a.merchant.pk, card_id=card.pk)
    response = client.post(REDEEM, {"code": code, "store": tenant_a.store.pk})
    assert response.status_code == 200
    found = response.context["found"]
    assert [(c.card_id, c.member_id) for c in found] == [(card.pk, tenant_a.member.pk)]
    assert tenant_a.member.masked_phone in response.content.decode()
    assert not PunchCardUse.objects.exists()
    response = client.post(REDEEM, {"code": code, "store": tenant_a.store.pk, "kind": "punch", "card": card.pk,
                                    "count": "2", "confirm": "1"})
    assert response.status_code == 302
    use = PunchCardUse.objects.get()
    assert (use.count, use.staff, use.store) == (2, tenant_a.cashier.user, tenant_a.store)


def test_finding_by_phone_lists_the_members_usable_cards(client, tenant_a, card):
    staff_client(client, tenant_a.cashier)
    response = client.post(REDEEM, {"code": tenant_a.member.phone, "store": tenant_a.store.pk})
    assert [c.card_id for c in response.context["found"]] == [card.pk]


def test_another_merchants_card_cannot_be_used_from_the_admin(client, tenant_a, tenant_b, card):
    staff_client(client, tenant_b.cashier)
    response = client.post(REDEEM, {"code": "x", "store": tenant_b.store.pk, "kind": "punch", "card": card.pk,
                                    "confirm": "1"})
    assert response.status_code == 200 and response.context["form"].errors
    code = card_code("punch", merchant_id=tenant_a.merchant.pk, card_id=card.pk)
    response = client.post(REDEEM, {"code": code, "store": tenant_b.store.pk})
    assert response.context["found"] == []
    assert not PunchCardUse.objects.exists()


def test_a_cashier_sells_a_card_at_the_counter(client, tenant_a):
    product = make_product(tenant_a.merchant)
    staff_client(client, tenant_a.cashier)
    response = client.post(reverse("admin:punchcards_punchcard_sell"), {
        "phone": tenant_a.member.phone, "product": product.pk, "store": tenant_a.store.pk})
    assert response.status_code == 302
    assert PunchCard.objects.get(member=tenant_a.member).staff == tenant_a.cashier.user


def test_a_cashier_may_not_undo_a_use_but_a_manager_may(client, tenant_a, card):
    use = services.record_use(card, store=tenant_a.store)
    changelist = reverse("admin:punchcards_punchcarduse_changelist")
    staff_client(client, tenant_a.cashier)
    assert client.post(changelist, {"action": "undo", "_selected_action": [use.pk]}).status_code == 403
    staff_client(client, tenant_a.manager)
    client.post(changelist, {"action": "undo", "_selected_action": [use.pk]})
    card.refresh_from_db()
    assert card.uses_left == 10


def test_usage_detail_exports_to_excel(client, tenant_a, tenant_b, card):
    services.record_use(card, store=tenant_a.store, count=3)
    other = services.sell_card(make_product(tenant_b.merchant), tenant_b.member, store=tenant_b.store)
    services.record_use(other, store=tenant_b.store)
    staff_client(client, tenant_a.manager)
    response = client.post(reverse("admin:punchcards_punchcarduse_changelist"), {
        "action": "export_xlsx", "_selected_action": list(PunchCardUse.objects.values_list("pk", flat=True))})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][5] == 3


def test_product_figures_are_on_the_product_page(client, tenant_a, card):
    services.record_use(card, store=tenant_a.store)
    staff_client(client, tenant_a.owner)
    response = client.get(reverse("admin:punchcards_punchcardproduct_change", args=[card.product_id]))
    assert response.status_code == 200 and "270.00" in response.content.decode()
