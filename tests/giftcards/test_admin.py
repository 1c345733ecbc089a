"""The gift card admin: purchases exported as CSV and Excel, figures for owners, voiding, the face value form
refusing what the legal limits forbid, and a cashier seeing cards but no figures or configuration."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from django.urls import reverse

from cards.giftcards.models import FaceValue, GiftCard, GiftCardPurchase
from tests.admin_forms import admin_form_data
from tests.conftest import staff_client
from tests.giftcards.helpers import buy, card

D = Decimal


def _action(client, model: str, action: str, pks):
    return client.post(reverse(f"admin:giftcards_{model}_changelist"),
                       {"action": action, "_selected_action": [str(pk) for pk in pks]})


def test_purchases_export_as_excel_with_the_buyer_and_the_cards(client, tenant_a, tenant_b):
    [bought] = buy(tenant_a.member, amount="100.00", price="90.00")
    buy(tenant_b.member)
    staff_client(client, tenant_a.owner)
    response = _action(client, "giftcardpurchase", "export_xlsx", GiftCardPurchase.objects.values_list("pk",
                                                                                                        flat=True))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert len(rows) == 2  # the header and tenant A's one purchase: tenant B's is not in the queryset
    assert tenant_a.member.phone in rows[1] and D(str(rows[1][rows[0].index("实付总额")])) == D("90.00")
    assert bought.masked_code in rows[1][-1]


def test_purchases_export_as_csv(client, tenant_a):
    buy(tenant_a.member)
    staff_client(client, tenant_a.owner)
    response = _action(client, "giftcardpurchase", "export_csv", GiftCardPurchase.objects.values_list("pk",
                                                                                                       flat=True))
    text = b"".join(response.streaming_content).decode()
    assert tenant_a.member.phone in text


def test_owners_see_the_figures_and_cashiers_do_not(client, tenant_a):
    buy(tenant_a.member, amount="100.00", price="90.00", quantity=2)
    staff_client(client, tenant_a.owner)
    figures = client.get(reverse("admin:giftcards_giftcard_changelist")).context["figures"]
    assert (figures["cards_sold"], figures["revenue"], figures["outstanding"]) == (2, D("180.00"), D("200.00"))
    staff_client(client, tenant_a.cashier)
    response = client.get(reverse("admin:giftcards_giftcard_changelist"))
    assert response.status_code == 200 and "figures" not in response.context
    assert client.get(reverse("admin:giftcards_facevalue_changelist")).status_code == 403


def test_voiding_writes_off_the_balance(client, tenant_a):
    [bought] = buy(tenant_a.member)
    staff_client(client, tenant_a.manager)
    _action(client, "giftcard", "void_cards", [bought.pk])
    assert (card(bought.pk).status, card(bought.pk).balance) == (GiftCard.Status.VOID, D("0.00"))


def test_the_face_value_form_refuses_an_anonymous_card_over_the_limit(client, tenant_a, in_english):
    staff_client(client, tenant_a.owner)
    url = reverse("admin:giftcards_facevalue_add")
    data = admin_form_data(client.get(url), name="big", amount="1500.00", price="1500.00", validity="never")
    response = client.post(url, data)
    assert response.status_code == 200 and not FaceValue.objects.exists()
    assert "may hold at most 1000.00" in response.content.decode()
    data.update(needs_phone="on")
    assert client.post(url, data).status_code == 302
    assert FaceValue.objects.get().merchant == tenant_a.merchant


def test_a_card_page_shows_its_ledger_and_its_history_the_events(client, tenant_a):
    [bought] = buy(tenant_a.member)
    staff_client(client, tenant_a.owner)
    page = client.get(reverse("admin:giftcards_giftcard_change", args=[bought.pk]))
    assert page.status_code == 200 and "100.00" in page.content.decode()
    history = client.get(reverse("admin:giftcards_giftcard_history", args=[bought.pk]))
    assert [row.event.kind for row in history.context["event_rows"]] == ["gift_card.bought"]


def test_cards_filter_by_buyer_among_the_merchants_own_buyers(client, tenant_a, tenant_b):
    [mine] = buy(tenant_a.member)
    buy(tenant_b.member)
    staff_client(client, tenant_a.owner)
    url = reverse("admin:giftcards_giftcard_changelist")
    page = client.get(url, {"buyer": str(tenant_a.member.pk)})
    assert [row.pk for row in page.context["cl"].result_list] == [mine.pk]
    choices = next(spec for spec in page.context["cl"].filter_specs
                   if getattr(spec, "parameter_name", "") == "buyer").lookup_choices
    assert [pk for pk, _label in choices] == [tenant_a.member.pk]
