"""Demo checkout for `manage.py seed_demo` (idempotent): settings, rewards after payment, segments over
payments, six weeks of each member's payments at the counter (coupons, points, stored value, refunds) and a
win-back mass send to the members who stopped coming.

Every payment goes through `pay` with the bill's back-dated `at`, so it is priced, paid and rewarded as at
the counter, and every ledger entry is the services' own. The services stamp the moment they run on the
payment's paid time, its rewards, its coupon's use and its refunds; the demo moves those stamps to the bill's
day, so the admin's lists and figures show weeks of trade.

Last, the member's membership card, points entries, wallet entries and recharges are dated too (all were made
on the day seed_demo ran): the card at joining, an entry of a payment at the payment, and the entries between
(opening points, the wallet demo's recharge, a refund) spread between their neighbours, within the six weeks.
Only `created_at` moves, and each ledger's entries keep their order (a later entry is never dated earlier), so
every `balance_after` still follows from the one before and `audit_ledgers` reads the same ledgers.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from cards.membership.benefits import PointsBenefit
from cards.membership.models import MembershipCard, PointsEntry
from checkout import services
from checkout.models import Channel, CheckoutSettings, Payment, Refund, RewardGrant, RewardRule
from checkout.services import Bill
from coupons.benefits import CouponBenefit
from coupons.demo import REWARD, WIN_BACK, backdate_redemption, template_for
from coupons.models import Coupon, CouponIssuance, CouponTemplate
from coupons.services import create_issuance, run_issuance
from loyalty.demo import DemoData
from loyalty.money import ZERO, quantize
from merchants.models import Member, Merchant, Segment, StaffMember, Store, Terminal
from merchants.services import create_segment
from wallet.benefits import CashbackBenefit
from wallet.models import Recharge, Wallet, WalletEntry

D = Decimal
HISTORY_DAYS = 42
# Every fifth member stopped coming over a month ago (so "30 天未到店" has someone to win back), and two
# in seven asked for a refund, one of part of a bill and one of all of it.
LAPSED_AFTER_DAYS = 31
OPENING_HOURS = (10, 21)  # the first and the last hour a demo bill is rung up, local time
CHANNELS = [Channel.WECHAT, Channel.WECHAT, Channel.ALIPAY, Channel.CASH, Channel.CARD]
INACTIVE_SEGMENT = "30 天未到店"

SETTINGS = {
    "chacha": {"random_reduction_enabled": True, "random_reduction_min": D("0.10"),
               "random_reduction_max": D("1.88"), "random_reduction_min_bill": D("20.00"),
               "random_reduction_daily_budget": D("30.00")},
    # A coupon does not stack with the level discount at the gym: checkout keeps the cheaper for the member.
    "irongym": {"coupons_stack": False},
}
# name → (paid at least, stores by name or None for all, limit per member in total, lines); a line is
# (benefit code, quantity, amount, coupon role).
RULES = {
    "chacha": [
        ("消费满30送20积分", "30.00", None, 0, [(PointsBenefit.code, 20, ZERO, "")]),
        ("满50送再来一杯券", "50.00", None, 0, [(CouponBenefit.code, 1, ZERO, REWARD)]),
        ("静安寺店满50返现2元", "50.00", ["静安寺店"], 0, [(CashbackBenefit.code, 0, D("2.00"), "")]),
    ],
    "irongym": [
        ("私教课满300送50积分和续课券", "300.00", None, 0,
         [(PointsBenefit.code, 50, ZERO, ""), (CouponBenefit.code, 1, ZERO, REWARD)]),
        ("月卡续费返现20元", "399.00", None, 3, [(CashbackBenefit.code, 0, D("20.00"), "")]),
    ],
}
# name → (match, clauses)
SEGMENTS = {
    "chacha": {
        "高价值会员": (Segment.Match.ANY, [("stored_value_held", {"at_least": "500.00"}),
                                       ("spend_in_days", {"days": 90, "at_least": "300.00"})]),
        INACTIVE_SEGMENT: (Segment.Match.ALL, [("inactive", {"days": 30})]),
        "本月常客": (Segment.Match.ALL, [("visits_in_days", {"days": 30, "at_least": 4})]),
    },
    "irongym": {
        "高价值会员": (Segment.Match.ANY, [("stored_value_held", {"at_least": "500.00"}),
                                       ("spend_in_days", {"days": 90, "at_least": "1500.00"})]),
        INACTIVE_SEGMENT: (Segment.Match.ALL, [("inactive", {"days": 30})]),
        "本月常客": (Segment.Match.ALL, [("visits_in_days", {"days": 30, "at_least": 3})]),
    },
}
# What each demo merchant rings up: (product code, category, price), a bill's items and its payments per member.
MENUS = {
    "chacha": ([("milk-tea-classic", "milk-tea", "16.00"), ("milk-tea-brown-sugar", "milk-tea", "19.00"),
                ("fruit-tea-grape", "fruit-tea", "22.00"), ("fruit-tea-mango", "fruit-tea", "21.00"),
                ("cheese-oolong", "tea", "18.00"), ("egg-tart", "snack", "9.00")], (1, 4), (3, 8)),
    "irongym": ([("pt-session", "personal-training", "380.00"), ("month-pass", "membership", "399.00"),
                 ("quarter-pass", "membership", "999.00"), ("group-class", "class", "99.00"),
                 ("protein-shake", "shop", "35.00")], (1, 3), (2, 6)),
}


def seed_settings(merchant: Merchant) -> None:
    """The demo's checkout settings, written when the merchant has none yet."""
    if merchant.slug in SETTINGS:
        CheckoutSettings.objects.get_or_create(merchant=merchant, defaults=SETTINGS[merchant.slug])


def seed_rules(merchant: Merchant) -> None:
    """The rewards after payment, each with its benefit lines, created once."""
    existing = set(RewardRule.objects.filter(merchant=merchant).values_list("name", flat=True))
    for name, min_paid, store_names, limit_total, lines in RULES.get(merchant.slug, []):
        if name in existing:
            continue
        rule = RewardRule.objects.create(merchant=merchant, name=name, min_paid=D(min_paid), limit_total=limit_total)
        if store_names:
            rule.stores.set(Store.objects.filter(merchant=merchant, name__in=store_names))
        for position, (kind, quantity, amount, role) in enumerate(lines):
            target = template_for(merchant, role) if role else None
            rule.benefits.create(merchant=merchant, kind=kind, quantity=quantity, amount=amount,
                                 target_id=target.pk if target else None, position=position)


def seed_segments(merchant: Merchant) -> None:
    """Segments over payments and stored value (the filters of checkout and the wallet), saved once."""
    existing = set(Segment.objects.filter(merchant=merchant).values_list("name", flat=True))
    for name, (match, clauses) in SEGMENTS.get(merchant.slug, {}).items():
        if name not in existing:
            create_segment(merchant, name=name, clauses=clauses, match=match)


def _bill_times(rng: random.Random, member: Member, count: int, now: datetime.datetime, *,
                lapsed: bool) -> list[datetime.datetime]:
    """`count` moments in opening hours over the last six weeks (only its first days for a member who lapsed),
    after the member joined, oldest first."""
    today = timezone.localdate(now)
    tz = timezone.get_current_timezone()
    moments = []
    for _n in range(count):
        day = today - datetime.timedelta(days=rng.randint(LAPSED_AFTER_DAYS if lapsed else 0, HISTORY_DAYS))
        at = datetime.datetime.combine(day, datetime.time(rng.randint(*OPENING_HOURS), rng.randint(0, 59)),
                                       tzinfo=tz)
        if member.joined_at < at < now - datetime.timedelta(minutes=5):
            moments.append(at)
    return sorted(moments)


def _bill_lines(rng: random.Random, menu: list[tuple[str, str, str]], items: tuple[int, int]) -> list[dict]:
    """The bill's lines as checkout reads them (product, category, amount, quantity)."""
    picked = Counter(rng.choice(menu) for _n in range(rng.randint(*items)))
    return [{"product": sku, "category": category, "amount": D(price) * quantity, "quantity": quantity}
            for (sku, category, price), quantity in picked.items()]


def _coupon_fits(coupon: Coupon, lines: list[dict], amount: Decimal, at: datetime.datetime,
                 now: datetime.datetime) -> bool:
    """Whether the bill can take the coupon, on the safe side (a level or tier discount lowers the bill first);
    it must also still be valid now, when its use is recorded."""
    template = coupon.template
    if not (coupon.valid_from <= at and coupon.valid_until > now + datetime.timedelta(minutes=5)):
        return False
    if template.kind == CouponTemplate.Kind.EXCHANGE:
        return any(line["product"] == template.exchange_product for line in lines) if template.exchange_product \
            else False
    if template.scope == CouponTemplate.Scope.PRODUCTS:
        eligible = sum((line["amount"] for line in lines if line["category"] in template.categories
                        or line["product"] in template.products), ZERO)
    else:
        eligible = amount
    return eligible > 0 and (template.minimum_bill is None or template.minimum_bill * D("1.15") <= eligible)


def _backdate(payment: Payment, at: datetime.datetime) -> None:
    """Date the payment's paid time, its rewards and its coupon's use at the bill's moment."""
    Payment.objects.filter(pk=payment.pk).update(paid_at=at)
    RewardGrant.objects.filter(payment=payment).update(created_at=at, credited_at=at)
    if payment.coupon_id:
        backdate_redemption(payment.coupon, at)


def _refund(payment: Payment, rng: random.Random, *, full: bool, now: datetime.datetime) -> None:
    """A refund at the counter a little after the payment: all of it, or a part."""
    if payment.amount_due <= 0:
        return
    amount = payment.amount_due if full else max(quantize(payment.amount_due * D(rng.randint(20, 50)) / 100),
                                                 D("0.01"))
    refund = services.refund_payment(payment, amount, reason="顾客退单" if full else "部分商品退款")
    later = min(payment.created_at + datetime.timedelta(minutes=rng.randint(10, 180)), now)
    Refund.objects.filter(pk=refund.pk).update(created_at=later)


def seed_payments(member: Member) -> None:
    """Six weeks of the member's payments at their store: some with a coupon, points or stored value, some
    refunded. A member with stored value pays a last bill from it today, after the wallet demo's recharge."""
    merchant = member.merchant
    if merchant.slug not in MENUS:
        return
    menu, items, visits = MENUS[merchant.slug]
    rng = random.Random(f"checkout-{member.phone}")
    now = timezone.now()
    store = member.source_store or Store.objects.filter(merchant=merchant).order_by("pk").first()
    terminal = Terminal.objects.filter(store=store).order_by("pk").first()
    # Who stood at the till, in turn (not drawn from `rng`, so the rest of the demo stays as it was): the store's
    # own cashier and the staff not held to one store.
    tills = list(StaffMember.objects.filter(merchant=merchant).filter(Q(store=store) | Q(store__isnull=True))
                 .order_by("pk"))
    coupons = list(Coupon.objects.filter(member=member, state=Coupon.State.AVAILABLE).select_related("template")
                   .order_by("valid_until", "pk"))
    # The member's place among the merchant's members picks who lapsed and who was refunded, the same on any
    # database (primary keys are not).
    place = Member.objects.filter(merchant=merchant, pk__lt=member.pk).count()
    lapsed = place % 5 == 1
    moments = _bill_times(rng, member, rng.randint(*visits), now, lapsed=lapsed)
    wallet = Wallet.objects.filter(member=member).first()
    if not lapsed and wallet is not None and wallet.principal + wallet.bonus > 0:
        moments.append(now)
    last_but_one = max(len(moments) - 2, 0)
    refund_at = {3: (last_but_one, False), 5: (last_but_one, True)}.get(place % 7)
    for n, at in enumerate(moments):
        lines = _bill_lines(rng, menu, items)
        amount = sum((line["amount"] for line in lines), ZERO)
        bill = Bill(store=store, amount=amount, member=member, lines=lines, terminal=terminal, at=at,
                    bill_id=f"demo-{member.pk}-{n}", points="max" if rng.random() < 0.3 else None,
                    use_wallet=at == now, cashier=tills[(place + n) % len(tills)] if tills else None)
        fitting = [coupon for coupon in coupons if _coupon_fits(coupon, lines, amount, at, now)]
        if fitting and rng.random() < 0.7:
            chosen = rng.choice(fitting)
            bill.coupon_code = chosen.code
            coupons.remove(chosen)
        payment = services.pay(bill, channel=rng.choice(CHANNELS))
        if refund_at is not None and refund_at[0] == n:
            _refund(payment, rng, full=refund_at[1], now=now)
        _backdate(payment, at)
    backdate_value_history(member, now=now)


def _in_order(references: list[str], paid: dict[str, datetime.datetime], *, start: datetime.datetime,
              now: datetime.datetime) -> list[datetime.datetime]:
    """A moment for each entry of a ledger, given oldest first by their references: a payment's entries at the
    payment, the others evenly between the moments around them (from `start`, up to `now`), never before the
    entry ahead, so the order of the entries is the order of their moments."""
    moments: list[datetime.datetime | None] = [paid.get(reference) for reference in references]
    previous, n = start, 0
    while n < len(moments):
        if moments[n] is not None:
            previous = moments[n] = max(moments[n], previous)
            n += 1
            continue
        end = n
        while end < len(moments) and moments[end] is None:
            end += 1
        following = max(moments[end] if end < len(moments) else now, previous)
        step = (following - previous) / (end - n + 1)
        for offset, position in enumerate(range(n, end), start=1):
            moments[position] = previous + step * offset
        previous, n = moments[end - 1], end
    return moments


def backdate_value_history(member: Member, *, now: datetime.datetime) -> None:
    """Date the member's card, points and wallet entries and recharges over their history (see the module's
    docstring): one bulk update per table, created_at only."""
    paid = dict(Payment.objects.filter(member=member, paid_at__isnull=False).values_list("number", "paid_at"))
    MembershipCard.objects.filter(member=member).update(created_at=member.joined_at)
    # The entries before the first payment fall in the demo's weeks of trade, so the reports' days show them.
    start = max(member.joined_at, now - datetime.timedelta(days=HISTORY_DAYS))
    for model, account in ((PointsEntry, "card__member"), (WalletEntry, "wallet__member")):
        entries = list(model.objects.filter(**{account: member}).order_by("pk"))
        moments = _in_order([entry.reference for entry in entries], paid, start=start, now=now)
        for entry, moment in zip(entries, moments, strict=True):
            entry.created_at = moment
        model.objects.bulk_update(entries, ["created_at"], batch_size=200)
        if model is WalletEntry:
            # A recharge is dated at its first entry (the credit of what was paid).
            dated: dict[int, datetime.datetime] = {}
            for entry in entries:
                if entry.recharge_id is not None:
                    dated.setdefault(entry.recharge_id, entry.created_at)
            recharges = list(Recharge.objects.filter(pk__in=dated))
            for recharge in recharges:
                recharge.created_at = dated[recharge.pk]
            Recharge.objects.bulk_update(recharges, ["created_at"])


def send_win_back_coupons(merchant: Merchant) -> CouponIssuance | None:
    """A completed mass send of the win-back coupon to the members who have not paid for 30 days."""
    template = template_for(merchant, WIN_BACK)
    segment = Segment.objects.filter(merchant=merchant, name=INACTIVE_SEGMENT).first()
    if template is None or segment is None or CouponIssuance.objects.filter(template=template).exists():
        return None
    issuance = create_issuance(template, saved_segment=segment, start=False)
    return run_issuance(issuance.pk)


class CheckoutDemo(DemoData):
    """Registered in CheckoutConfig.ready(); seed_demo finds it in loyalty.demo.demo_data."""

    code = "checkout"
    order = 60

    @classmethod
    def seed_merchant(cls, merchant) -> None:
        seed_settings(merchant)
        seed_rules(merchant)
        seed_segments(merchant)

    @classmethod
    def seed_member(cls, member) -> None:
        seed_payments(member)

    @classmethod
    def seed_members_done(cls, merchant) -> None:
        send_win_back_coupons(merchant)
