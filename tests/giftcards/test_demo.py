"""seed_demo gives each demo merchant themes, face values and a few cards in several statuses, ledgers clean."""

import pytest
from django.core.management import call_command

from cards.giftcards.models import FaceValue, GiftCard, Theme
from loyalty.ledgers import audit_all
from merchants.models import Merchant

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_themes_face_values_and_cards_in_several_statuses():
    call_command("seed_demo", members=12)
    call_command("seed_demo", members=12)  # idempotent: nothing doubles
    for merchant in Merchant.objects.all():
        assert Theme.objects.filter(merchant=merchant).count() == 2
        assert FaceValue.objects.filter(merchant=merchant).count() == 3
    statuses = set(GiftCard.objects.values_list("status", flat=True))
    assert {GiftCard.Status.ACTIVE, GiftCard.Status.NOT_ACTIVATED, GiftCard.Status.SENDING} <= statuses
    assert all(report.clean for report in audit_all())
