"""Rewards after payment (支付后营销): rules per store, level and amount, within limits; held for payers who join.

What a rule gives is its benefit lines, given and taken back through the benefits registry (loyalty.benefits):
this module knows no kind of benefit.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.membership.models import MembershipCard
from checkout.models import Payment, RewardGrant, RewardRule, RewardRuleBenefit
from checkout.services.config import merchant_config
from loyalty import benefits
from loyalty.benefits import LineWithTarget, Occasion
from loyalty.ledgers import lock_member_accounts
from loyalty.money import ZERO
from wallet.services.marketing import is_live

HOLD_FOR_NON_MEMBERS = datetime.timedelta(days=7)
COUNTED = (RewardGrant.Status.GIVEN, RewardGrant.Status.PENDING)


@dataclass(frozen=True)
class RewardOffer:
    """A rule a payment meets: what it gives (its lines with their targets), and whether it would be held until
    the payer joins."""

    rule: RewardRule
    held: bool
    lines: tuple[LineWithTarget, ...] = ()

    @property
    def descriptions(self) -> list[str]:
        return benefits.describe_lines(self.lines)

    def as_dict(self) -> dict:
        """The rule's answer: the keys quotes have always had (points, coupon, cashback ...), derived from the
        lines, and `benefits`, a description of every line."""
        rule = self.rule
        return {"rule": rule.pk, "name": rule.name, **benefits.answers(self.lines),
                "benefits": self.descriptions, "held_until_joining": self.held,
                "ad_image": rule.ad_image, "ad_link": rule.ad_link}


def _counts(rules, *, member, phone: str, store) -> tuple[Counter, Counter]:
    """Rewards this payer already has per rule: at this store, and in total (one query)."""
    grants = RewardGrant.objects.filter(rule__in=[rule.pk for rule in rules], status__in=COUNTED)
    grants = grants.filter(member=member) if member is not None else grants.filter(member__isnull=True, phone=phone)
    per_store, total = Counter(), Counter()
    for row in grants.values("rule_id", "store_id").annotate(n=Count("pk")):
        total[row["rule_id"]] += row["n"]
        if row["store_id"] == store.pk:
            per_store[row["rule_id"]] += row["n"]
    return per_store, total


def rules_for_payment(store, member, level_id: int | None, *, paid: Decimal, at: datetime.datetime,
                      phone: str = "") -> list[RewardOffer]:
    """The rules a payment of `paid` at `store` by this payer meets now, limits included. Reads only.

    The rules come from the merchant's cached configuration; only the payer's earlier rewards are read.
    """

    eligible = []
    for scope in merchant_config(store.merchant_id).reward_rules:
        rule = scope.rule
        if not is_live(rule, at):
            continue
        if scope.store_ids and store.pk not in scope.store_ids or paid < rule.min_paid or paid <= ZERO:
            continue
        if member is not None:
            if not rule.for_members or (scope.level_ids and level_id not in scope.level_ids):
                continue
        elif not rule.for_non_members:
            continue
        eligible.append(scope)
    if not eligible:
        return []
    counts = (Counter(), Counter())
    if member is not None or phone:
        counts = _counts([scope.rule for scope in eligible], member=member, phone=phone, store=store)
    per_store, total = counts
    return [RewardOffer(scope.rule, held=member is None, lines=scope.benefits) for scope in eligible
            if not (scope.rule.limit_per_store and per_store[scope.rule.pk] >= scope.rule.limit_per_store)
            and not (scope.rule.limit_total and total[scope.rule.pk] >= scope.rule.limit_total)]


def _lines_of(rule: RewardRule) -> tuple[LineWithTarget, ...]:
    """A rule's lines with their targets: from the cached configuration, or read for a rule switched off since."""

    scope = next((scope for scope in merchant_config(rule.merchant_id).reward_rules if scope.rule.pk == rule.pk), None)
    if scope is not None:
        return scope.benefits
    return tuple(benefits.with_targets(rule.benefits.order_by("position", "pk")))


def _credit(grant: RewardGrant, member, lines: tuple[LineWithTarget, ...]) -> None:
    """Give the member every line of the grant's rule and keep what each gave, to take it back on a refund."""
    given = benefits.give_lines(lines, member, occasion=Occasion.REWARD, reference=f"reward:{grant.pk}",
                                store=grant.store, note=grant.rule.name)
    grant.given = benefits.as_records(given)
    grant.member = member
    grant.status = RewardGrant.Status.GIVEN
    grant.credited_at = timezone.now()
    grant.save()


# The first key of the advisory locks below: the payers of rewards after payment.
PAYER_LOCK_SPACE = 7201


def _serialise_payer(merchant_id: int, phone: str) -> None:
    """Hold, until the transaction ends, a lock on a payer who is not a member, so that racing payments by one
    phone count their earlier rewards one after the other (a member's are, behind the card `pay` locks).

    An advisory lock: there is no row to lock. Postgres only; SQLite writes one transaction at a time.
    """

    if connection.vendor != "postgresql" or not any(
            scope.rule.for_non_members and (scope.rule.limit_total or scope.rule.limit_per_store)
            for scope in merchant_config(merchant_id).reward_rules):
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [PAYER_LOCK_SPACE, f"{merchant_id}:{phone}"])


def give_rewards(payment: Payment, *, level_id: int | None | object = ...) -> list[RewardGrant]:
    """Run the rules on a paid payment, once per rule and payment; a payer who is not a member gets them held.

    `pay` passes the level of the card it holds locked; otherwise it is read.
    """

    if level_id is ...:
        level_id = None
        if payment.member is not None:
            level_id = (MembershipCard.objects.filter(member=payment.member).values_list("level_id", flat=True)
                        .first())
    if payment.member is None and payment.payer_phone:
        _serialise_payer(payment.merchant_id, payment.payer_phone)
    offers = rules_for_payment(payment.store, payment.member, level_id, paid=payment.earn_basis, at=payment.created_at,
                               phone=payment.payer_phone)
    given = []
    for offer in offers:
        if offer.held and not payment.payer_phone:
            continue
        grant, created = RewardGrant.objects.get_or_create(
            rule=offer.rule, payment=payment,
            defaults={"merchant_id": payment.merchant_id, "store": payment.store, "phone": payment.payer_phone,
                      "status": RewardGrant.Status.PENDING if offer.held else RewardGrant.Status.GIVEN,
                      "hold_until": timezone.now() + HOLD_FOR_NON_MEMBERS if offer.held else None})
        if not created:
            continue
        if not offer.held:
            _credit(grant, payment.member, offer.lines)
        given.append(grant)
    return given


def credit_held_rewards(member) -> list[RewardGrant]:
    """A payer joined: rewards held for their phone in the last 7 days are theirs now; older ones lapse."""
    now = timezone.now()
    held = RewardGrant.objects.select_related("rule", "store").filter(
        merchant_id=member.merchant_id, phone=member.phone, status=RewardGrant.Status.PENDING, member__isnull=True)
    if not held.exists():
        return []
    # The member's accounts first, then the grants: the lock order of a payment, so the two never deadlock.
    lock_member_accounts(member)
    credited = []
    for grant in held.select_for_update(of=("self",)).order_by("pk"):
        if grant.hold_until is not None and grant.hold_until <= now:
            grant.status = RewardGrant.Status.LAPSED
            grant.save(update_fields=["status"])
            continue
        _credit(grant, member, _lines_of(grant.rule))
        credited.append(grant)
    return credited


def copy_rule(rule: RewardRule) -> RewardRule:
    """复制: a new, inactive rule with the same settings, stores, levels and lines, for the merchant to adjust."""
    stores, levels = list(rule.stores.all()), list(rule.levels.all())
    lines = list(rule.benefits.all())
    rule.pk = None
    rule.id = None
    rule._state.adding = True
    rule.name = (_("Copy of %(name)s") % {"name": rule.name})[:60]
    rule.is_active = False
    rule.created_at = timezone.now()
    rule.save()
    rule.stores.set(stores)
    rule.levels.set(levels)
    for line in lines:
        line.pk = None
        line.id = None
        line._state.adding = True
        line.rule = rule
    RewardRuleBenefit.objects.bulk_create(lines)
    return rule


def withdraw_rewards(payment: Payment, *, net_paid: Decimal, reference: str) -> int:
    """A refund brought the payment below a rule's minimum (or to nothing): its rewards are taken back.

    Each grant takes back what it recorded as given, once (the status says so): what the member already
    spent is the kind's recorded shortfall.
    """
    withdrawn = 0
    grants = RewardGrant.objects.select_related("rule", "member").filter(payment=payment, status__in=COUNTED)
    for grant in grants.order_by("pk"):
        if net_paid > 0 and net_paid >= grant.rule.min_paid:
            continue
        if grant.status == RewardGrant.Status.GIVEN and grant.member_id:
            if grant.member_id != payment.member_id:
                # Held for a payer who joined later: their accounts are not the ones the refund has locked.
                lock_member_accounts(grant.member)
            taken = benefits.take_back(grant.given_benefits, grant.member, reference=f"{reference}:reward:{grant.pk}",
                                       store=payment.store)
            grant.given = benefits.as_records(taken)
        grant.status = RewardGrant.Status.WITHDRAWN
        grant.save(update_fields=["status", "given"])
        withdrawn += 1
    return withdrawn
