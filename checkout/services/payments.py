"""Quote and pay (报价 / 买单): the same pipeline, read plainly for a quote and under row locks for a payment."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.membership.models import PointsReason
from cards.membership.services import earn_for_payment, spend_and_earn_for_payment, spend_points
from cards.membership.services.pricing import experience_for_payment, points_for_payment
from checkout import errors, events
from checkout.models import AdjustmentKind, Payment, PaymentAdjustment, PaymentTender
from checkout.pipeline import Priced, price
from checkout.services.bills import Bill, Loaded, check_coupon, load, take_random_budget
from checkout.services.config import merchant_config
from checkout.services.rewards import give_rewards, rules_for_payment
from checkout.tenders import OUTSIDE
from coupons.services import find_coupon_by_code
from loyalty import payments, writes
from loyalty.errors import DomainError
from loyalty.events import recorded_together
from loyalty.idempotency import in_request_transaction
from loyalty.ledgers import lock_member_accounts
from loyalty.money import ZERO, quantize
from loyalty.pricing import pricing_steps
from loyalty.tenders import (
    TenderContext,
    load_tender_inputs,
    plan_tenders,
    take_tenders,
    tender_details,
    tenders,
)
from loyalty.writes import written_together
from wallet.models import RedPacketCampaign
from wallet.services import cashback_for_payment, cashback_rule_for, give_red_packets


@dataclass
class Quote:
    """What a bill would cost and earn: the answer of `quote`, and what `pay` records."""

    bill: Bill
    priced: Priced
    tenders: dict[str, Decimal]
    earn_basis: Decimal
    points_earned: int
    experience_earned: int
    cashback: Decimal
    rewards: list = field(default_factory=list)
    details: dict = field(default_factory=dict)  # tenders' breakdowns (each gift card's share)

    @property
    def amount_due(self) -> Decimal:
        return self.priced.amount_due


def earn_basis(shares: dict[str, Decimal], config) -> Decimal:
    """What the member actually paid: the tenders that count as paid (the outside channel and principal, and
    bonus if the merchant says so)."""
    return sum((amount for code, amount in shares.items() if amount and tenders.get(code).counts_as_paid(config)),
               ZERO)


def _tender_context(bill: Bill, loaded: Loaded, external_amount: Decimal | None) -> TenderContext:
    return TenderContext(member=bill.member, accounts=loaded.accounts, config=loaded.config,
                         requested={"use_wallet": bill.use_wallet, "external_amount": external_amount},
                         inputs=loaded.inputs)


def _check_store(bill: Bill) -> None:
    if not bill.store.is_open:
        raise DomainError(errors.STORE_CLOSED, _("This store is closed and takes no payments."), field="store")


def _tenders(bill: Bill, loaded: Loaded, amount_due: Decimal, external_amount: Decimal | None) -> dict:
    if external_amount is not None and external_amount > amount_due:
        raise DomainError(errors.EXTERNAL_TOO_LARGE, _("The outside payment is more than the amount due (%(due)s).")
                          % {"due": amount_due}, field="external")
    try:
        planned = plan_tenders(_tender_context(bill, loaded, external_amount), amount_due)
    except DomainError as error:
        if error.code != errors.INSUFFICIENT_BALANCE:
            raise  # a tender's own refusal (a gift card's share no longer there) says what it is
        raise DomainError(errors.INSUFFICIENT_BALANCE,
                          _("The wallet balance no longer covers its part of this bill; quote it again."),
                          field="use_wallet", status_code=409) from error
    if external_amount is not None and planned[OUTSIDE] != external_amount:
        raise DomainError(errors.EXTERNAL_AMOUNT_MISMATCH,
                          _("The outside payment (%(paid)s) is not the amount due (%(due)s).") % {
                              "paid": external_amount, "due": planned[OUTSIDE]}, field="external",
                          status_code=409)
    return planned


def _price(bill: Bill, loaded: Loaded) -> Priced:
    return price(loaded.pricing) if bill.discounts else Priced(bill.amount, [], [], "")


def _estimate(bill: Bill, loaded: Loaded, priced: Priced, tenders: dict) -> Quote:

    basis = earn_basis(tenders, loaded.config)
    points = experience = 0
    cashback = ZERO
    level = loaded.card.level if loaded.card is not None else None
    if bill.member is not None:
        points = points_for_payment(loaded.config.program, level, basis)
        experience = experience_for_payment(loaded.config.program, basis)
        cashback = _cashback_estimate(bill, basis, level.pk if level else None, loaded.config.cashback_rules)
    rewards = rules_for_payment(bill.store, bill.member, level.pk if level else None, paid=basis, at=bill.at,
                                phone=bill.payer_phone)
    return Quote(bill, priced, tenders, basis, points, experience, cashback, rewards)


def _cashback_estimate(bill: Bill, basis: Decimal, level_id: int | None, rules: list) -> Decimal:

    rule = cashback_rule_for(bill.member, bill.store, level_id=level_id, rules=rules)
    if rule is None or basis <= 0:
        return ZERO
    amount = quantize(basis * rule.percent / 100)
    return min(amount, rule.cap_per_payment) if rule.cap_per_payment else amount


def quote(bill: Bill, *, external_amount: Decimal | None = None) -> Quote:
    """Price a bill with every discount it may take, the tenders and what it would earn. Changes nothing."""
    _check_store(bill)
    loaded = load(bill)
    priced = _price(bill, loaded)
    tenders = _tenders(bill, loaded, priced.amount_due, external_amount)
    quoted = _estimate(bill, loaded, priced, tenders)
    if loaded.inputs:
        quoted.details = tender_details(_tender_context(bill, loaded, external_amount), tenders)
    return quoted


def quote_best_coupon(bill: Bill, coupons) -> tuple[Quote, str]:
    """The quote with the coupon of `coupons` that leaves the member the least to pay (none if none helps; the
    first of equals), and its code. Changes nothing.

    One pass: the bill's rows are read once (`load`), then for each coupon only the coupon step's facts change
    and the pure pipeline and tender plan run again; what the winner earns is estimated once. So the statements
    do not grow with the member's coupons (the caller reads them: `selfpay.coupons_to_try`).
    """
    _check_store(bill)
    bill.coupon_code = ""
    loaded = load(bill)
    best_priced = _price(bill, loaded)
    best = (best_priced, _tenders(bill, loaded, best_priced.amount_due, None), loaded.pricing, None)
    step = pricing_steps.get(AdjustmentKind.COUPON)
    without = {code: facts for code, facts in loaded.pricing.facts.items() if code != step.code}
    for coupon in coupons:
        try:
            check_coupon(bill, coupon)
            loaded.coupon = coupon
            facts = step.facts(loaded)
            pricing = dataclasses.replace(loaded.pricing, facts={**without, **({step.code: facts} if facts else {})})
            priced = price(pricing) if bill.discounts else best_priced
            if priced.amount_due >= best[0].amount_due:
                continue
            best = (priced, _tenders(bill, loaded, priced.amount_due, None), pricing, coupon)
        except DomainError:
            continue
    priced, planned, loaded.pricing, loaded.coupon = best
    bill.coupon_code = loaded.coupon.code if loaded.coupon is not None else ""
    quoted = _estimate(bill, loaded, priced, planned)
    if loaded.inputs:
        quoted.details = tender_details(_tender_context(bill, loaded, None), planned)
    return quoted, bill.coupon_code


def _lock(bill: Bill) -> dict:
    """Lock, in the one fixed order, every row the payment will change: the member's accounts (wallet, card:
    loyalty.ledgers.lock_member_accounts), the coupon (and, as the payment's last write, the day's random
    reduction budget: `take_random_budget`); between the accounts and the coupon, the rows the tenders' own
    inputs name (gift cards), in pk order.

    One query per row: the coupon is found by its code and locked in the same statement.
    """

    locked = {"accounts": {}, "coupon": None, "inputs": {}}
    if bill.member is not None:
        locked["accounts"] = lock_member_accounts(bill.member)
    if bill.tender_inputs:
        # The tenders' own rows (gift cards) come next in the lock order, each kind in pk order.
        locked["inputs"] = load_tender_inputs(bill.tender_inputs, store=bill.store, member=bill.member,
                                              terminal=bill.terminal, at=bill.at, for_update=True)
    if bill.coupon_code:
        locked["coupon"] = find_coupon_by_code(bill.store.merchant, bill.coupon_code, for_update=True,
                                               store=bill.store)
    return locked


def _record_lines(payment: Payment, priced: Priced, tenders: dict) -> None:
    """Write the adjustment and tender lines (one INSERT each) and keep them on the payment for its answer."""
    adjustments = writes.insert([
        PaymentAdjustment(merchant_id=payment.merchant_id, payment=payment, position=position, kind=line.kind,
                          amount=line.amount, description=line.description[:300])
        for position, line in enumerate(priced.adjustments, start=1)])
    lines = writes.insert([
        PaymentTender(merchant_id=payment.merchant_id, payment=payment, kind=kind, amount=amount)
        for kind, amount in tenders.items() if amount > 0])
    _remember(payment, "adjustments", adjustments)
    _remember(payment, "tenders", lines)


def _remember(payment: Payment, name: str, rows: list) -> None:
    """Hold rows just written as `payment.<name>.all()` (as a prefetch would), so the answer reads nothing back."""
    cache = getattr(payment, "_prefetched_objects_cache", None)
    if cache is None:
        cache = payment._prefetched_objects_cache = {}
    related = getattr(Payment, name).rel.related_model.objects.all()
    related._result_cache = list(rows)
    related._prefetch_done = True
    cache[name] = related


def _consume(payment: Payment, bill: Bill, priced: Priced, tenders: dict[str, Decimal], loaded: Loaded, *,
             points_now: bool) -> dict[str, Decimal]:
    """Take every tender and use the coupon and points the pipeline chose (the random budget is taken last).

    Points are used here only when `points_now` (a payment still waiting for the gateway): otherwise `_earn`
    uses them together with what the payment earns, in the same writes.
    Returns the tenders as taken: each drawer's own split is the truth (the wallet may have expired cashback first).
    """

    who = {"store": bill.store, "terminal": bill.terminal}
    context = _tender_context(bill, loaded, None)
    if loaded.inputs:
        payment.tender_details = tender_details(context, tenders)  # as drawn: the payment's answer shows it
    tenders = take_tenders(payment, context, tenders)
    if priced.points_used and points_now:
        spend_points(bill.member, priced.points_used, reason=PointsReason.POINTS_DEDUCTION,
                     reference=payment.number, locked=loaded.card, **who)
    remaining = bill.amount
    for line in priced.adjustments:
        # Each step uses up what it took (the coupon step redeems the coupon) on what was left before it.
        pricing_steps.get(line.kind).use(line, loaded.pricing.facts[line.kind], bill_amount=remaining,
                                         lines=bill.lines, reference=payment.number, store=bill.store,
                                         terminal=bill.terminal)
        if line.kind == AdjustmentKind.COUPON:
            payment.coupon = loaded.coupon
        remaining -= line.amount
    return tenders


def pay(bill: Bill, *, channel: str = "", trade_no: str = "", external_amount: Decimal | None = None,
        source: str = Payment.Source.TERMINAL, request: dict | None = None, via_gateway: bool = False) -> Payment:
    """Take a payment: re-price under locks, take every tender, use coupon and points, record the lines,
    then earn points and cashback and run the rewards after payment; all in one transaction.

    With a gateway payment still to be paid, the wallet, coupon and points are held now and the
    payment completes (earning and rewards) when the gateway confirms it.
    """
    _check_store(bill)
    # No savepoint of its own inside an idempotent request's transaction, which any error rolls back whole; one
    # where a trade number's uniqueness may fail and be answered here.
    savepoint = bool(trade_no) or not in_request_transaction()
    try:
        with transaction.atomic(savepoint=savepoint), recorded_together():  # the payment's events: one INSERT
            locked = _lock(bill)
            loaded = load(bill, accounts=locked["accounts"], coupon=locked["coupon"], inputs=locked["inputs"])
            priced = _price(bill, loaded)
            tenders = _tenders(bill, loaded, priced.amount_due, external_amount)
            if tenders[OUTSIDE] > 0 and not channel:
                raise DomainError(errors.EXTERNAL_REQUIRED, _("Say how the rest (%(rest)s) was paid.") % {
                    "rest": tenders[OUTSIDE]}, field="external")
            pending = via_gateway and tenders[OUTSIDE] > 0
            # Built first and inserted once, complete: every step below refers to it by its number.
            payment = Payment(
                merchant_id=bill.merchant_id, store=bill.store, terminal=bill.terminal, cashier=bill.cashier,
                member=bill.member,
                payer_phone=bill.payer_phone, source=source, bill_id=bill.bill_id[:64], bill_amount=bill.amount,
                discount_total=priced.discount, amount_due=priced.amount_due,
                channel=channel if tenders[OUTSIDE] > 0 else "", trade_no=trade_no,
                points_used=priced.points_used, request=request or {},
                status=Payment.Status.PENDING if pending else Payment.Status.PAID, created_at=bill.at)
            # What the payment writes up to its lines goes to Postgres in two statements (one before the points
            # buckets are read, one after): the payment's pk is known when the block ends.
            with written_together():
                taken = _consume(payment, bill, priced, tenders, loaded, points_now=pending)
                payment.earn_basis = earn_basis(taken, loaded.config)
                level_id = loaded.card.level_id if loaded.card is not None else None
                if pending:
                    payment.gateway_payment = _start_gateway_payment(payment, taken[OUTSIDE])
                else:
                    _earn(payment, level_id=level_id, first_payment_unrecorded=True, loaded=loaded,
                          points_used=priced.points_used)
                writes.insert([payment])
                _record_lines(payment, priced, taken)
            if not pending:
                _remember(payment, "rewards", reversed(give_rewards(payment, level_id=level_id)))
                events.payment_made(payment, new_subject=True)
            random = sum((line.amount for line in priced.adjustments if line.kind == AdjustmentKind.RANDOM), ZERO)
            if random:
                take_random_budget(loaded.config.checkout, timezone.localdate(bill.at), random)
            return payment
    except IntegrityError as error:
        if trade_no and Payment.objects.filter(merchant_id=bill.merchant_id, channel=channel,
                                               trade_no=trade_no).exists():
            raise DomainError(errors.TRADE_NUMBER_USED, _("This trade number has already been recorded."),
                              field="external", status_code=409) from error
        raise


def _start_gateway_payment(payment: Payment, amount: Decimal):
    from checkout.services.selfpay import SELF_PAY_PURPOSE

    return payments.start_payment(payment.store.merchant, amount=amount, purpose=SELF_PAY_PURPOSE,
                                  reference=payment.number, member=payment.member, store=payment.store,
                                  subject=payment.store.name)


def _earn(payment: Payment, *, level_id=..., first_payment_unrecorded: bool = False, loaded: Loaded | None = None,
          points_used: int = 0) -> None:
    """Earn points, experience and cashback on what was paid, and the first-payment red packets; marks the
    payment paid (the caller saves it). `level_id` is the member's level and `loaded` what `pay` read when
    the caller has the card locked: the card is then neither locked nor read again, and the `points_used`
    on the bill are taken in the same writes as the points earned."""

    payment.status = Payment.Status.PAID
    payment.paid_at = timezone.now()
    member = payment.member
    if member is None:
        return
    config = loaded.config if loaded is not None else merchant_config(payment.merchant_id)
    who = {"store": payment.store, "terminal": payment.terminal}
    if points_used:
        _spent, earned = spend_and_earn_for_payment(
            loaded.card, points_used=points_used, spend_reason=PointsReason.POINTS_DEDUCTION,
            paid_amount=payment.earn_basis, reference=payment.number, program=config.program, levels=config.levels,
            **who)
    else:
        if loaded is not None and loaded.card is not None:
            who.update(locked=loaded.card, program=config.program, levels=config.levels)
        earned = earn_for_payment(member, paid_amount=payment.earn_basis, reference=payment.number, **who)
    payment.points_earned, payment.experience_earned = earned.points, earned.experience
    payment.cashback_earned = cashback_for_payment(member, paid_amount=payment.earn_basis, store=payment.store,
                                                   reference=payment.number, level_id=level_id,
                                                   rules=config.cashback_rules)
    if not config.gives_first_payment_red_packets(timezone.now()):
        return  # the usual case: no campaign, so whether this is the first payment does not matter
    earlier = Payment.objects.filter(member=member)
    if not first_payment_unrecorded:
        earlier = earlier.exclude(pk=payment.pk)
    if not earlier.exists():
        give_red_packets(member, RedPacketCampaign.Trigger.FIRST_PAYMENT)


def complete_payment(payment: Payment) -> Payment:
    """The money is in: earn points, experience and cashback on what was paid, then the rewards after payment."""
    _earn(payment)
    payment.save(update_fields=["status", "paid_at", "points_earned", "experience_earned", "cashback_earned"])
    give_rewards(payment)
    events.payment_made(payment)
    return payment
