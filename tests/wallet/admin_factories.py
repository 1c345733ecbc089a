"""One row of a tenant per wallet admin model (and the gateway payment), for the tenant-isolation tests."""

from decimal import Decimal

from loyalty import payments
from tests.coupons.helpers import make_template
from tests.wallet.helpers import enable_stored_value
from wallet import services
from wallet.models import (
    BalanceTier,
    BonusInstalment,
    CashbackLot,
    CashbackRule,
    RechargeOffer,
    RechargeOfferCoupon,
    RedPacketCampaign,
    WalletEntry,
)


def _recharge(t):
    enable_stored_value(t.merchant)
    return services.recharge(t.member, "100.00", store=t.store)


def _offer(t):
    """An offer with a coupon line, so the change page renders its (scoped) inline too."""
    offer = RechargeOffer.objects.create(merchant=t.merchant, name="A offer", pay_amount=Decimal("100.00"),
                                         bonus_value=Decimal("10.00"))
    RechargeOfferCoupon.objects.create(merchant=t.merchant, offer=offer, template=make_template(t.merchant))
    return offer


def _instalment_offer(t):
    return RechargeOffer.objects.create(merchant=t.merchant, name="A monthly", pay_amount=Decimal("500.00"),
                                        bonus_value=Decimal("50.00"), monthly_bonus=Decimal("10.00"),
                                        monthly_bonus_months=2)


def _instalment(t):
    _instalment_offer(t)
    enable_stored_value(t.merchant)
    recharge = services.recharge(t.member, "500.00", store=t.store)
    return BonusInstalment.objects.filter(recharge=recharge).first()


def _debit(t):
    _recharge(t)
    return services.debit_wallet(t.member, "30.00", reference="A-PAY-1", store=t.store)


def _campaign(t, trigger=RedPacketCampaign.Trigger.LINK):
    return RedPacketCampaign.objects.create(merchant=t.merchant, name="A packets", trigger=trigger,
                                            amount=Decimal("5.00"), budget=Decimal("100.00"))


def _claim(t):
    return services.claim_red_packet(_campaign(t), t.member)


def _lot(t):
    CashbackRule.objects.create(merchant=t.merchant, percent=Decimal("10"))
    services.cashback_for_payment(t.member, paid_amount=Decimal("50.00"), store=t.store, reference="A-CB-1")
    return CashbackLot.objects.get(wallet__member=t.member)


def _take_back(t):
    _lot(t)
    return services.take_back_cashback(t.member, lot_reference="A-CB-1", reference="A-REF-1")


def _gateway_payment(t):
    return payments.start_payment(t.merchant, amount=Decimal("10.00"), purpose=services.RECHARGE_PURPOSE,
                                  member=t.member)


FACTORIES = {
    "wallet.walletsettings": lambda t: services.wallet_settings(t.merchant),
    "wallet.wallet": lambda t: services.wallet_for(t.member),
    "wallet.walletentry": lambda t: WalletEntry.objects.get(recharge=_recharge(t), pocket="principal"),
    "wallet.recharge": _recharge,
    "wallet.rechargeoffer": _offer,
    "wallet.bonusinstalment": _instalment,
    "wallet.cashbacklot": _lot,
    "wallet.cashbacktakeback": _take_back,
    "wallet.walletdebit": _debit,
    "wallet.balancetier": lambda t: BalanceTier.objects.create(merchant=t.merchant, min_balance=Decimal("100.00"),
                                                               discount_percent=Decimal("90")),
    "wallet.cashbackrule": lambda t: CashbackRule.objects.create(merchant=t.merchant, percent=Decimal("5")),
    "wallet.redpacketcampaign": _campaign,
    "wallet.redpacketclaim": _claim,
    "loyalty.gatewaypayment": _gateway_payment,
}
