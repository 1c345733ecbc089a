"""One row of a tenant per coupons admin model, for the tenant-isolation tests."""

from decimal import Decimal

from coupons import services
from coupons.models import ClaimChannel, CouponIssuance
from tests.coupons.helpers import make_template


def _coupon(t):
    return services.issue_coupon(make_template(t.merchant, name="secret A coupon"), t.member, source="staff")


def _redemption(t):
    coupon = _coupon(t)
    return services.redeem_coupon(coupon, bill_amount=Decimal("150.00"), store=t.store)


def _issuance(t):
    """A send of a coupon and a benefit line, so its inline is behind the same walls."""
    issuance = CouponIssuance.objects.create(merchant=t.merchant, template=make_template(t.merchant, name="A send"),
                                             has_benefits=True)
    issuance.benefits.create(merchant=t.merchant, kind="points", quantity=5)
    return issuance


def _purchase(t):
    template = make_template(t.merchant, name="A sold coupon", price=Decimal("9.90"))
    return services.start_coupon_purchase(template, t.member)[0]


def _channel(t):
    template = make_template(t.merchant, name="A channelled coupon")
    return ClaimChannel.objects.create(merchant=t.merchant, template=template, name="secret A poster")


FACTORIES = {
    "coupons.claimchannel": _channel,
    "coupons.coupontemplate": lambda t: make_template(t.merchant, name="secret A template"),
    "coupons.coupon": _coupon,
    "coupons.couponredemption": _redemption,
    "coupons.couponissuance": _issuance,
    "coupons.couponpurchase": _purchase,
}
