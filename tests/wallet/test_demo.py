"""The demo data turns stored value on for the tea shop, so the wallet can be tried end to end."""

from django.core.management import call_command

from merchants.models import Merchant
from tests.wallet.helpers import assert_audit_clean
from wallet import services
from wallet.models import Recharge, RechargeOffer, RedPacketClaim


def test_seed_demo_sets_up_the_wallet_once(db):
    call_command("seed_demo", members=10)
    call_command("seed_demo", members=10)
    chacha, gym = Merchant.objects.get(slug="chacha"), Merchant.objects.get(slug="irongym")
    assert services.wallet_settings(chacha).stored_value_enabled
    assert not services.wallet_settings(gym).stored_value_enabled
    assert RechargeOffer.objects.filter(merchant=chacha).count() == 3
    assert Recharge.objects.filter(merchant=chacha).exists() and not Recharge.objects.filter(merchant=gym).exists()
    assert RedPacketClaim.objects.filter(merchant=chacha).count() == 10  # the joining red packet
    assert_audit_clean()
