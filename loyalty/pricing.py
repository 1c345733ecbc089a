"""Pricing steps and coupon kinds (DESIGN.md, "Extension points" and "The money path").

A bill is priced by ordered steps, each a registered `PricingStep` in the app that owns it: member level
discount (membership, order 10), balance-tier discount (wallet, 20), points deduction (membership, 30),
coupon (coupons, 40), random reduction (checkout, 50). Checkout's `load()` asks every step once for its
facts (what it prices with, taken from the rows `load()` has read: under locks for a payment), then the
pure pipeline (`checkout.pipeline.price`) runs the steps on what is left of the bill. What a coupon takes
off is its kind's arithmetic: a registered `CouponKind` (cash, discount and exchange live in coupons).

The apps register instances in `AppConfig.ready()`:

    pricing_steps.register(LevelDiscountStep())
    coupon_kinds.register(CashOff())

This module knows no app: rows, settings and templates reach it duck-typed.
"""

from __future__ import annotations

import datetime
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from django.utils.functional import Promise

from loyalty.money import ZERO, quantize
from loyalty.registry import Registry

Label = str | Promise


@dataclass(frozen=True)
class Adjustment:
    """One line a step takes off the bill: its step's code (stored as `PaymentAdjustment.kind`), how much, why."""

    kind: str
    amount: Decimal
    description: str
    points: int = 0


def capped(kind: str, amount: Decimal, remaining: Decimal, description: str, points: int = 0) -> Adjustment | None:
    """An adjustment of `amount` rounded half-up, never more than what is left; None when it takes nothing off."""
    amount = min(quantize(amount), remaining)
    if amount <= ZERO:
        return None
    return Adjustment(kind, amount, description, points)


class LoadedBill(Protocol):
    """What checkout's `load()` has read for one bill, as a step's `facts` hook sees it.

    `bill` is the counter's bill (amount, store, member, lines, points, bill_id, at); `card` the member's
    membership card with its level set, `wallet` the member's wallet, `coupon` the coupon named on the bill
    (each None when there is none; locked for a payment); `config` the merchant's cached configuration
    (`checkout` and `wallet` settings, `program`, `levels`, `balance_tiers`).
    """

    bill: Any
    card: Any
    wallet: Any
    coupon: Any
    config: Any


class StepFacts(Protocol):
    """What a step's facts hold at least: whether the step stacks with the others for this bill."""

    stacks: bool


FactsT = TypeVar("FactsT", bound=StepFacts)


@dataclass
class PricingInput:
    """What the pipeline prices: the bill, and each step's facts by its code (a step without facts offers
    nothing). Built once by `load()`, read by every alternative the pipeline tries; nothing in it is read
    from the database while pricing, so quote and pay agree."""

    bill: Decimal
    store_id: int
    store: Any = None
    at: datetime.datetime | None = None
    bill_id: str = ""
    lines: list[dict] | None = None
    facts: dict[str, StepFacts] = field(default_factory=dict)


class PricingStep(ABC, Generic[FactsT]):
    """The base of every pricing step. Subclasses set `code`, `label` and `order` and write `facts`, `price`
    and, when the rule is more than "has facts", `offers`.

    A step's facts are a small frozen dataclass of its own with a `stacks` flag (from the merchant's settings,
    or a coupon's template): a step that does not stack is priced alone against the stacked ones, and the
    cheaper alternative for the member is kept (checkout.pipeline.price).
    """

    code: ClassVar[str] = ""
    label: ClassVar[Label] = ""
    order: ClassVar[int] = 100

    @abstractmethod
    def facts(self, loaded: LoadedBill) -> FactsT | None:
        """What the step prices this bill with, from the rows `load()` has read (never a query of its own
        for what a payment locks); None when it has nothing to offer. May refuse the bill with a DomainError."""

    def offers(self, facts: FactsT, given: PricingInput) -> bool:
        """Whether the step has anything to offer this bill (so, not stacking, it makes an alternative)."""
        return True

    def stacks(self, facts: FactsT) -> bool:
        return facts.stacks

    @abstractmethod
    def price(self, remaining: Decimal, given: PricingInput) -> Adjustment | None:
        """What the step takes off `remaining` (what earlier steps left): at most that, rounded half-up.
        Its facts are `given.facts[self.code]`. May refuse with a DomainError (the alternative fails)."""

    def use(self, adjustment: Adjustment, facts: FactsT, *, bill_amount: Decimal, lines: list[dict] | None,
            reference: str, store: Any, terminal: Any) -> None:
        """Use up what the adjustment took, inside the payment's transaction and on the rows it locked
        (a coupon is redeemed on `bill_amount`, what was left before this step). Nothing by default."""

    def adjustment(self, amount: Decimal, remaining: Decimal, description: str, points: int = 0) -> Adjustment | None:
        return capped(self.code, amount, remaining, description, points)


pricing_steps: Registry[PricingStep[Any]] = Registry("pricing steps")


def step_choices() -> list[tuple[str, str]]:
    """The stored codes of adjustment lines with their labels (`PaymentAdjustment.kind`'s choices)."""
    return pricing_steps.choices()


def facts_for(loaded: LoadedBill) -> dict[str, StepFacts]:
    """Every registered step's facts for this bill, by code; steps with nothing to offer are left out."""
    found = {}
    for step in pricing_steps.all():
        facts = step.facts(loaded)
        if facts is not None:
            found[step.code] = facts
    return found


class CouponKind(ABC):
    """The base of every coupon kind (what a coupon takes off): subclasses set `code`, `label` and `order`.

    The coupons app checks where and when a coupon may be used, its scope and minimum bill; the kind says
    how much it takes off the eligible amount, what a template of the kind must fill in, and how it reads.
    """

    code: ClassVar[str] = ""
    label: ClassVar[Label] = ""
    order: ClassVar[int] = 100
    # The template fields only this kind uses: the guided admin form shows them once the kind is chosen.
    form_fields: ClassVar[tuple[str, ...]] = ()

    def check(self, template: Any) -> dict[str, Label]:
        """What is missing from a template of this kind: {field name: message}; empty when it is complete."""
        return {}

    @abstractmethod
    def discount(self, template: Any, *, eligible: Decimal, bill_amount: Decimal,
                 lines: list[dict] | None) -> Decimal:
        """What a coupon of `template` takes off: `eligible` is the part of the bill it works on (at most
        `bill_amount`, what is left of the bill), `lines` the bill's items when the terminal sent them."""

    @abstractmethod
    def describe(self, template: Any, amount: Decimal) -> str:
        """The adjustment line's text when a coupon of `template` takes `amount` off."""

    @abstractmethod
    def face_value(self, template: Any) -> str:
        """What the coupon shows on its face in the member's pages (¥10.00, pay 88%, a latte)."""


coupon_kinds: Registry[CouponKind] = Registry("coupon kinds")


def coupon_kind_choices() -> list[tuple[str, str]]:
    """The registered coupon kinds with their labels (`CouponTemplate.kind`'s choices, so the admin's too)."""
    return coupon_kinds.choices()
