"""Demo coupons for `manage.py seed_demo` (idempotent): templates of every kind, their claim channels, the join
gift, claims (through the channels, with their views), points exchanges and counter redemptions over the past
weeks, expired coupons and a birthday mass send.

History is back-dated through the services' own `at` (a coupon issued weeks ago is valid from then). The
services stamp a redemption with the time it is made; the demo moves that stamp (and nothing of a ledger)
to the day the coupon was used, so the template's daily figures show weeks, not one day.
"""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from cards.membership.benefits import PointsBenefit
from cards.membership.services import card_for
from coupons import services
from coupons.benefits import CouponBenefit
from coupons.models import ClaimChannel, Coupon, CouponIssuance, CouponRedemption, CouponTemplate
from loyalty.demo import DemoData
from merchants.demo import BIRTHDAY_SEGMENT
from merchants.models import JoinGift, Member, Merchant, Segment

D = Decimal
Kind, Audience, Scope, Validity = (CouponTemplate.Kind, CouponTemplate.Audience, CouponTemplate.Scope,
                                   CouponTemplate.Validity)
HISTORY = datetime.timedelta(days=56)
# The templates' roles in the demo, by name: the checkout demo's rules and mass send find theirs here.
NEW_MEMBER, REWARD, BIRTHDAY, WIN_BACK = "new_member", "reward", "birthday", "win_back"


def _relative(days: int) -> dict:
    return {"validity": Validity.RELATIVE, "valid_days": days}


def _fixed(first_day: int, last_day: int) -> dict:
    """Fixed dates, counted in days from the first seeding (a campaign that began before the demo's history)."""
    now = timezone.now()
    return {"validity": Validity.FIXED, "valid_from": now + datetime.timedelta(days=first_day),
            "valid_until": now + datetime.timedelta(days=last_day)}


# name → (role or "", fields). Claimable templates (anyone or members, no points price) are what members claim.
TEMPLATES = {
    "chacha": {
        "满30减5元券": ("", {"kind": Kind.CASH, "amount_off": D("5.00"), "minimum_bill": D("30.00"),
                           "audience": Audience.ANYONE, "stock": 2000, **_relative(30),
                           "description": "领券中心扫码即领，全场通用。"}),
        "周末限时 满40减8": ("", {"kind": Kind.CASH, "amount_off": D("8.00"), "minimum_bill": D("40.00"),
                              "stock": 500, **_relative(7), "description": "领取后 7 天内有效。"}),
        "全场 8.8 折券": ("", {"kind": Kind.DISCOUNT, "discount_percent": D("88"), "discount_cap": D("15.00"),
                             **_relative(14), "description": "最多优惠 15 元。"}),
        "水果茶系列 8 折": ("", {"kind": Kind.DISCOUNT, "discount_percent": D("80"), "scope": Scope.PRODUCTS,
                               "categories": ["fruit-tea"], **_relative(30),
                               "description": "仅限水果茶系列饮品。"}),
        "冬日暖饮节 满50减10": ("", {"kind": Kind.CASH, "amount_off": D("10.00"), "minimum_bill": D("50.00"),
                                 "stock": 800, **_fixed(-60, 20)}),
        "招牌奶茶兑换券": ("", {"kind": Kind.EXCHANGE, "exchange_item": "招牌珍珠奶茶",
                            "exchange_product": "milk-tea-classic", "points_price": 300, "per_member_limit": 2,
                            **_relative(30), "description": "积分商城兑换，到店点单时出示。"}),
        "新人立减 8 元": (NEW_MEMBER, {"kind": Kind.CASH, "amount_off": D("8.00"), "minimum_bill": D("20.00"),
                                    "audience": Audience.NEW_MEMBERS, **_relative(30)}),
        "再来一杯 3 元券": (REWARD, {"kind": Kind.CASH, "amount_off": D("3.00"), "minimum_bill": D("15.00"),
                                  "audience": Audience.HIDDEN, "per_member_limit": 0, **_relative(30)}),
        "生日赠饮券": (BIRTHDAY, {"kind": Kind.EXCHANGE, "exchange_item": "任意一杯招牌珍珠奶茶",
                              "exchange_product": "milk-tea-classic", "audience": Audience.HIDDEN,
                              **_relative(31)}),
        "老友回归 满25减10": (WIN_BACK, {"kind": Kind.CASH, "amount_off": D("10.00"), "minimum_bill": D("25.00"),
                                    "audience": Audience.HIDDEN, **_relative(14)}),
    },
    "irongym": {
        "体验课代金券 满200减50": ("", {"kind": Kind.CASH, "amount_off": D("50.00"), "minimum_bill": D("200.00"),
                                  "audience": Audience.ANYONE, "stock": 300, **_relative(60)}),
        "私教课 9 折券": ("", {"kind": Kind.DISCOUNT, "discount_percent": D("90"), "discount_cap": D("100.00"),
                           **_relative(45), "description": "最多优惠 100 元。"}),
        "限时 7 天 满300减30": ("", {"kind": Kind.CASH, "amount_off": D("30.00"), "minimum_bill": D("300.00"),
                                **_relative(7)}),
        "新年燃脂季 满600减100": ("", {"kind": Kind.CASH, "amount_off": D("100.00"), "minimum_bill": D("600.00"),
                                 "stock": 200, **_fixed(-50, 30)}),
        "免费体测券": ("", {"kind": Kind.EXCHANGE, "exchange_item": "InBody 体测一次", "points_price": 50,
                         **_relative(60), "description": "积分兑换，前台预约。"}),
        "新会员首单减 100": (NEW_MEMBER, {"kind": Kind.CASH, "amount_off": D("100.00"),
                                      "minimum_bill": D("399.00"), "audience": Audience.NEW_MEMBERS,
                                      **_relative(30)}),
        "续课 50 元券": (REWARD, {"kind": Kind.CASH, "amount_off": D("50.00"), "minimum_bill": D("300.00"),
                               "audience": Audience.HIDDEN, "per_member_limit": 0, **_relative(30)}),
        "生日月私教体验课": (BIRTHDAY, {"kind": Kind.EXCHANGE, "exchange_item": "私教体验课一节",
                                  "audience": Audience.HIDDEN, **_relative(31)}),
        "老友回归 满300减60": (WIN_BACK, {"kind": Kind.CASH, "amount_off": D("60.00"),
                                     "minimum_bill": D("300.00"), "audience": Audience.HIDDEN,
                                     **_relative(14)}),
    },
}
JOIN_GIFT_POINTS = {"chacha": 50, "irongym": 20}
# Where each demo merchant hands out its claimable templates (渠道), and how often a claim came through each.
CHANNELS = {
    "chacha": [("门口海报", ClaimChannel.Kind.POSTER, 4), ("会员短信", ClaimChannel.Kind.SMS, 3),
               ("公众号推文", ClaimChannel.Kind.ARTICLE, 2), ("隔壁铁馆前台", ClaimChannel.Kind.PARTNER, 1)],
    "irongym": [("前台易拉宝", ClaimChannel.Kind.POSTER, 3), ("公众号推文", ClaimChannel.Kind.ARTICLE, 2),
                ("茶茶门店合作", ClaimChannel.Kind.PARTNER, 1)],
}


def template_for(merchant: Merchant, role: str) -> CouponTemplate | None:
    """The demo merchant's template playing `role` (the reward coupon, the birthday coupon ...)."""
    names = [name for name, (named_role, _fields) in TEMPLATES.get(merchant.slug, {}).items() if named_role == role]
    return CouponTemplate.objects.filter(merchant=merchant, name__in=names).order_by("pk").first()


def seed_templates(merchant: Merchant) -> None:
    """Every template of the merchant's demo that is not there yet, validated as the admin would."""
    existing = set(CouponTemplate.objects.filter(merchant=merchant).values_list("name", flat=True))
    for name, (_role, fields) in TEMPLATES.get(merchant.slug, {}).items():
        if name in existing:
            continue
        template = CouponTemplate(merchant=merchant, name=name, **fields)
        template.full_clean(exclude=["merchant", "claim_token"])
        template.save()


def _claimable(templates) -> list[CouponTemplate]:
    return [t for t in templates if t.audience in (Audience.ANYONE, Audience.MEMBERS) and not t.points_price]


def seed_channels(merchant: Merchant) -> None:
    """The merchant's channels on every claimable template, made once."""
    templates = _claimable(CouponTemplate.objects.filter(merchant=merchant, name__in=TEMPLATES.get(merchant.slug, {})))
    for template in templates:
        for name, kind, _weight in CHANNELS.get(merchant.slug, []):
            ClaimChannel.objects.get_or_create(template=template, name=name,
                                               defaults={"merchant": merchant, "kind": kind})


def _pick_channel(rng: random.Random, template: CouponTemplate) -> ClaimChannel | None:
    """The channel a demo claim came through, by the merchant's weights; one in five came by the plain link."""
    channels = {c.name: c for c in ClaimChannel.objects.filter(template=template)}
    weighted = [(channels[name], weight) for name, _kind, weight in CHANNELS.get(template.merchant.slug, [])
                if name in channels]
    if not weighted or rng.random() < 0.2:
        return None
    return rng.choices([c for c, _w in weighted], weights=[w for _c, w in weighted])[0]


def seed_join_gift(merchant: Merchant) -> None:
    """The join gift: points and the new-member coupon, made before any demo member joins."""
    template = template_for(merchant, NEW_MEMBER)
    if template is None:
        return
    gift, created = JoinGift.objects.get_or_create(merchant=merchant)
    if created:
        gift.benefits.create(merchant=merchant, kind=PointsBenefit.code, quantity=JOIN_GIFT_POINTS[merchant.slug],
                             position=0)
        gift.benefits.create(merchant=merchant, kind=CouponBenefit.code, quantity=1, target_id=template.pk,
                             position=1)


def moment_between(rng: random.Random, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
    return start + (end - start) * rng.random()


def backdate_redemption(coupon: Coupon, at: datetime.datetime) -> None:
    """Date a demo coupon's use on the day it was used (the services stamp the moment they run)."""
    CouponRedemption.objects.filter(coupon=coupon, reversed_at__isnull=True).update(redeemed_at=at)
    Coupon.objects.filter(pk=coupon.pk, state=Coupon.State.USED).update(used_at=at)


def _counter_bill(template: CouponTemplate, rng: random.Random) -> Decimal:
    """A bill the coupon applies to: its minimum and a bit more (a free item is handed over beside the bill)."""
    if template.kind == Kind.EXCHANGE:
        return D("0.00")
    least = template.minimum_bill or D("30.00")
    return least + D(rng.randint(0, 4000)) / 100


def seed_coupon_history(member: Member) -> None:
    """Claims over the past weeks (the short-lived ones expire), points exchanges, and some coupons used
    at the counter; the checkout demo uses more of them on its payments."""
    spec = TEMPLATES.get(member.merchant.slug)
    if spec is None:
        return
    rng = random.Random(f"coupons-{member.phone}")
    now = timezone.now()
    since = max(member.joined_at, now - HISTORY)
    templates = list(CouponTemplate.objects.filter(merchant=member.merchant, name__in=spec).order_by("pk"))
    claimable = _claimable(templates)
    for template in rng.sample(claimable, rng.randint(1, min(3, len(claimable)))):
        at = moment_between(rng, since, now)
        channel = _pick_channel(rng, template)
        # Most who open a link look and leave: a few views for each claim.
        for _view in range(rng.randint(1, 4)):
            services.record_claim_page_view(template, channel=channel)
        services.check_audience(template, member, at=at)
        coupon = services.issue_coupon(template, member, source=Coupon.Source.CLAIM, at=at, channel=channel)
        if template.scope == Scope.BILL and coupon.valid_until > now and rng.random() < 0.3:
            used_at = moment_between(rng, max(at, coupon.valid_from), now)
            services.redeem_coupon(coupon, bill_amount=_counter_bill(template, rng), store=member.source_store)
            backdate_redemption(coupon, used_at)
    shelf = [t for t in templates if t.points_price and t.audience != Audience.HIDDEN]
    for template in shelf:
        if card_for(member).points >= template.points_price and rng.random() < 0.5:
            coupon = services.exchange_points_for_coupon(template, member)
            if template.kind == Kind.EXCHANGE and not template.exchange_product and rng.random() < 0.5:
                services.redeem_coupon(coupon, bill_amount=D("0.00"), store=member.source_store)


def send_birthday_coupons(merchant: Merchant) -> CouponIssuance | None:
    """A completed mass send of the birthday coupon to this month's birthdays, run here and now (no worker)."""
    template = template_for(merchant, BIRTHDAY)
    segment = Segment.objects.filter(merchant=merchant, name=BIRTHDAY_SEGMENT).first()
    if template is None or segment is None or CouponIssuance.objects.filter(template=template).exists():
        return None
    issuance = services.create_issuance(template, saved_segment=segment, start=False)
    return services.run_issuance(issuance.pk)


class CouponsDemo(DemoData):
    """Registered in CouponsConfig.ready(); seed_demo finds it in loyalty.demo.demo_data."""

    code = "coupons"
    order = 40

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        seed_templates(merchant)
        seed_channels(merchant)
        seed_join_gift(merchant)

    @classmethod
    def seed_member(cls, member) -> None:
        seed_coupon_history(member)

    @classmethod
    def seed_members_done(cls, merchant) -> None:
        services.expire_coupons()
        send_birthday_coupons(merchant)
