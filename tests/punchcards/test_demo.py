"""seed_demo gives the demo merchants punch and time card products, and holders with visits; twice is once."""

import pytest
from django.core.management import call_command

from cards.punchcards.models import PunchCard, PunchCardProduct, PunchCardUse
from cards.timecards.models import TimeCard, TimeCardProduct, TimeCardTier, TimeCardUse
from coupons.models import CouponIssuance
from merchants.models import Merchant

pytestmark = pytest.mark.django_db


def test_demo_merchants_get_products_and_holders_with_history():
    call_command("seed_demo", members=12)
    for merchant in Merchant.objects.all():
        assert PunchCardProduct.objects.filter(merchant=merchant).exists()
        assert TimeCardProduct.objects.filter(merchant=merchant).exists()
    assert TimeCardTier.objects.filter(product__merchant__slug="irongym").count() == 3
    assert PunchCard.objects.exists() and PunchCardUse.objects.exists()
    assert TimeCard.objects.exists() and TimeCardUse.objects.exists()
    counts = (PunchCardProduct.objects.count(), TimeCardTier.objects.count(), PunchCard.objects.count(),
              TimeCard.objects.count())
    call_command("seed_demo", members=12)
    assert (PunchCardProduct.objects.count(), TimeCardTier.objects.count()) == counts[:2]
    assert PunchCard.objects.count() >= counts[2] and TimeCard.objects.count() >= counts[3]


def test_demo_merchants_mass_send_a_punch_card_to_every_member_once():
    call_command("seed_demo", members=6)
    call_command("seed_demo", members=6)
    for merchant in Merchant.objects.all():
        [send] = CouponIssuance.objects.filter(merchant=merchant, template=None)
        assert (send.status, send.benefits_given) == ("completed", merchant.members.count())
        assert PunchCard.objects.filter(merchant=merchant, source="benefit",
                                        reference__startswith=f"send:{send.pk}:").count() == send.benefits_given
    call_command("audit_ledgers")
