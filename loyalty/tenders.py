"""Tenders (ways to pay) and the one refund splitter every tender is refunded through.

A tender is a registered class in the app that owns the money (the wallet registers cashback, bonus and
principal; checkout the outside channel; gift cards will register theirs). Checkout plans the amount due
over the tenders in order, takes them and refunds them only through this registry, so a new way to pay
is one registered class and checkout does not change.

Tenders that draw on one account are taken and refunded together by their `Drawer` (the wallet's three
pockets are one wallet payment: one lock, one UPDATE, one INSERT), in the caller's transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.db import models
from django.utils.functional import Promise

from loyalty.money import CENT, ZERO, quantize
from loyalty.registry import Registry


@dataclass(frozen=True)
class TenderContext:
    """What tenders plan with: the payer, their accounts as the caller read them (plainly for a quote, under
    locks for a payment), the merchant's configuration, what the payer asked for (`use_wallet`, ...), and what
    each tender loaded for its own input (`inputs`, by tender code: the gift cards named on the bill)."""

    member: Any
    accounts: Mapping[str, Any]
    config: Any
    requested: Mapping[str, Any] = field(default_factory=dict)
    inputs: Mapping[str, Any] = field(default_factory=dict)


class Drawer(ABC):
    """Takes and refunds, in one go, the tenders that share an account."""

    #: The payment's column that keeps what `take` returns as its record (e.g. the wallet payment), if any.
    payment_field: str | None = None

    @abstractmethod
    def take(self, payment: models.Model, context: TenderContext, shares: dict[str, Decimal]) -> dict[str, Decimal]:
        """Take the planned `shares` (tender code -> amount) for `payment`, under the caller's locks; returns
        the shares as taken (the account's own split is the truth) and may set `payment_field`."""

    @abstractmethod
    def refund(self, payment: models.Model, shares: dict[str, Decimal], *, reference: str, staff=None,
               terminal=None) -> None:
        """Give back exactly `shares` (never more than each tender took: `split_refund` says so)."""


class Tender(ABC):
    """One way to pay. `plan` is pure: the caller has read what it needs into the context."""

    code: str
    label: str | Promise
    order: int = 100
    drawer: Drawer | None = None  # None: the money is outside (the payment channel); nothing to take

    def position(self, context: TenderContext) -> int:
        """Where this tender comes in the merchant's order (a merchant setting may move it)."""
        return self.order

    @abstractmethod
    def plan(self, context: TenderContext, remaining: Decimal) -> Decimal:
        """This tender's share of `remaining` (0 to `remaining`); raise a DomainError if it must pay and cannot."""

    def counts_as_paid(self, config: Any) -> bool:
        """Whether what it paid counts as money the member paid (points and rewards are earned on it)."""
        return False

    # A tender may take its own input from the bill (the gift card codes a terminal sends): it names the
    # field, checks what was sent, and loads the rows it pays from, locked for a payment in the payment's
    # lock order (after the member's accounts). A bill that does not use the field costs nothing.
    #: The bill's field this tender reads (`gift_cards`), or None.
    request_field: str | None = None

    def parse_input(self, value: Any) -> Any:
        """What the payer sent in `request_field`, checked (raise a DomainError); None: nothing to use."""
        return None

    def load_input(self, parsed: Any, *, store: models.Model, member: Any, terminal: Any, at: Any,
                   for_update: bool) -> Any:
        """The rows `parsed` names, refused if they cannot pay here; locked (pk order) when `for_update`.
        `terminal` (or the member, on their own phone) is who asks, for a tender that limits failed tries."""
        return None

    def redact_input(self, value: Any) -> Any:
        """What of the input may be kept with the payment's request (a gift card's code is money: not all of it)."""
        return value

    def details(self, context: TenderContext, share: Decimal) -> list[dict[str, str]]:
        """How the tender's share breaks down (each gift card's part), for the quote and payment answers."""
        return []

    def offers(self, member: Any, store: models.Model) -> list[tuple[str, str]]:
        """What a member paying on their own phone may choose for `request_field` (value, label): self-pay."""
        return []


tenders: Registry[Tender] = Registry("tenders")


def tender_choices() -> list[tuple[str, str]]:
    """The registered tenders, for the tender column's choices (a callable, so migrations hold no list)."""
    return tenders.choices()


def ordered_tenders(context: TenderContext) -> list[Tender]:
    return sorted(tenders.all(), key=lambda tender: (tender.position(context), tender.order, tender.code))


def input_tenders() -> list[Tender]:
    """The tenders that read an input of their own from the bill."""
    return [tender for tender in tenders.all() if tender.request_field]


def parse_tender_inputs(data: Mapping[str, Any]) -> dict[str, Any]:
    """Each input tender's checked input from a bill's body (only the fields sent), by tender code."""
    parsed = {}
    for tender in input_tenders():
        if data.get(tender.request_field) not in (None, "", [], {}):
            value = tender.parse_input(data[tender.request_field])
            if value is not None:
                parsed[tender.code] = value
    return parsed


def redact_tender_inputs(data: Any) -> Any:
    """A bill's body as it may be kept (a payment's `request`): each input tender's field as it redacts it."""
    if not isinstance(data, Mapping):
        return data
    kept = dict(data)
    for tender in input_tenders():
        if tender.request_field in kept:
            kept[tender.request_field] = tender.redact_input(kept[tender.request_field])
    return kept


def load_tender_inputs(parsed: Mapping[str, Any], *, store: models.Model, member: Any, terminal: Any, at: Any,
                       for_update: bool) -> dict[str, Any]:
    """What each tender named in `parsed` pays from (read for a quote, locked for a payment), in tender order."""
    return {tender.code: tender.load_input(parsed[tender.code], store=store, member=member, terminal=terminal,
                                           at=at, for_update=for_update)
            for tender in tenders.all() if tender.code in parsed}


def tender_details(context: TenderContext, shares: Mapping[str, Decimal]) -> dict[str, list[dict[str, str]]]:
    """The breakdown of every tender that has one (only tenders with an input: nothing read otherwise)."""
    found = {}
    for code in context.inputs:
        if shares.get(code):
            found[code] = tenders.get(code).details(context, shares[code])
    return found


def plan_tenders(context: TenderContext, amount_due: Decimal) -> dict[str, Decimal]:
    """How the amount due is paid: each tender in order takes its share of what is left; every tender appears."""
    plan: dict[str, Decimal] = {}
    remaining = amount_due
    for tender in ordered_tenders(context):
        share = tender.plan(context, remaining) if remaining > 0 else ZERO
        plan[tender.code] = share
        remaining -= share
    if remaining:
        raise ValueError(f"tenders left {remaining} of {amount_due} unplanned")
    return plan


def take_tenders(payment: models.Model, context: TenderContext, plan: dict[str, Decimal]) -> dict[str, Decimal]:
    """Take every planned share through its tender's drawer, each drawer once; returns the shares as taken."""
    taken = dict(plan)
    for drawer, shares in _by_drawer(plan).items():
        if any(shares.values()):
            taken.update(drawer.take(payment, context, shares))
    return taken


def refund_tenders(payment: models.Model, shares: dict[str, Decimal], *, reference: str, staff=None,
                   terminal=None) -> None:
    for drawer, part in _by_drawer(shares).items():
        if any(part.values()):
            drawer.refund(payment, part, reference=reference, staff=staff, terminal=terminal)


def _by_drawer(shares: dict[str, Decimal]) -> dict[Drawer, dict[str, Decimal]]:
    grouped: dict[Drawer, dict[str, Decimal]] = {}
    for code, amount in shares.items():
        drawer = tenders.get(code).drawer
        if drawer is not None:
            grouped.setdefault(drawer, {})[code] = amount
    return grouped


def split_refund(parts: Mapping[str, tuple[Decimal, Decimal]], amount: Decimal) -> dict[str, Decimal]:
    """Each part's share of refunding `amount`: `parts` maps a tender (or pocket) to (what it gave, what it
    has had back so far).

    The shares add up to exactly `amount`; each is between zero and what its part still has to get back.
    They follow the running total refunded (largest remainder on the cumulative amount), so a payment
    refunded in pieces gives every part back exactly what it gave once the whole is refunded, and the
    cents of rounding go where the proportion is furthest behind.
    """
    given = {code: Decimal(value[0]) for code, value in parts.items()}
    back = {code: Decimal(value[1]) for code, value in parts.items()}
    total, before = sum(given.values(), ZERO), sum(back.values(), ZERO)
    room = {code: given[code] - back[code] for code in parts}
    if amount < 0 or amount > total - before or any(value < 0 for value in room.values()):
        raise ValueError(f"cannot refund {amount} of {total} with {before} already refunded")
    after = before + amount
    if after == total:
        return {code: quantize(share) for code, share in room.items()}
    exact = {code: given[code] * after / total for code in parts}
    cents = {code: (exact[code] / CENT).to_integral_value(rounding=ROUND_FLOOR) for code in parts}
    left = int((after / CENT) - sum(cents.values()))
    behind = sorted(parts, key=lambda code: (exact[code] / CENT - cents[code], given[code], code), reverse=True)
    for code in behind[:left]:
        cents[code] += 1
    shares = {code: min(room[code], max(ZERO, cents[code] * CENT - back[code])) for code in parts}
    rest = amount - sum(shares.values(), ZERO)
    # Earlier pieces may have given a part more than its proportion: settle the difference on the others.
    def slack(code: str) -> Decimal:
        return room[code] - shares[code] if rest > 0 else shares[code]

    for code in sorted(parts, key=lambda code: (slack(code), code), reverse=True):
        if rest == 0:
            break
        move = min(rest, room[code] - shares[code]) if rest > 0 else max(rest, -shares[code])
        shares[code] += move
        rest -= move
    return {code: quantize(share) for code, share in shares.items()}
