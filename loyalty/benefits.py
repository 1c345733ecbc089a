"""Benefits: what a member is given (points, experience, a coupon, cashback ...) and can have taken back.

Reward rules, recharge offers and join gifts hold benefit *lines* (any number, of any registered kind);
the app that owns a kind registers one `Benefit` class for it in its `AppConfig.ready()`, so a new kind of
benefit (a punch card, a time card) is one class, and the owners of lines never change. Giving a line
returns a `Given` that the owner keeps (as JSON, on the row the giving belongs to) so that a refund takes
back exactly what was given, once: what the member already spent is recorded as a shortfall, never taken
into a negative balance.
"""

from __future__ import annotations

import abc
import copy
import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.errors import DomainError
from loyalty.money import ZERO, MoneyField, parse_amount, quantize
from loyalty.registry import Registry

# Stable error codes of benefit lines (see loyalty.errors for the shape).
BENEFIT_KIND_UNKNOWN = "benefit_kind_unknown"
BENEFIT_QUANTITY_INVALID = "benefit_quantity_invalid"
BENEFIT_AMOUNT_INVALID = "benefit_amount_invalid"
BENEFIT_TARGET_REQUIRED = "benefit_target_required"
BENEFIT_TARGET_FOREIGN = "benefit_target_foreign"

# The most of one line a merchant may give (a typo of 1000000 points should not reach a member).
MAX_QUANTITY = 100_000

QUANTITY, AMOUNT, TARGET = "quantity", "amount", "target"


class Occasion(models.TextChoices):
    """Why a benefit is given, so that a kind can write the right reason in its ledger."""

    REWARD = "reward", gettext_lazy("reward after payment")
    RECHARGE = "recharge", gettext_lazy("recharge offer")
    JOIN = "join", gettext_lazy("join gift")
    MASS_SEND = "mass_send", gettext_lazy("mass send")


@dataclasses.dataclass(frozen=True)
class Given:
    """What one line gave one member, and what has been taken back of it since.

    `reference` is what the kind gave it under (a ledger or lot reference), `objects` the rows it made
    (coupon ids) and `codes` what the member can show for them (coupon codes).
    """

    kind: str
    quantity: int = 0
    amount: Decimal = ZERO
    target_id: int | None = None
    reference: str = ""
    objects: tuple[int, ...] = ()
    codes: tuple[str, ...] = ()
    taken_quantity: int = 0
    taken_amount: Decimal = ZERO
    shortfall_quantity: int = 0
    shortfall_amount: Decimal = ZERO

    @property
    def quantity_left(self) -> int:
        return max(0, self.quantity - self.taken_quantity - self.shortfall_quantity)

    @property
    def amount_left(self) -> Decimal:
        return max(ZERO, self.amount - self.taken_amount - self.shortfall_amount)

    def after(self, taken: TakenBack) -> Given:
        return dataclasses.replace(
            self, taken_quantity=self.taken_quantity + taken.quantity, taken_amount=self.taken_amount + taken.amount,
            shortfall_quantity=self.shortfall_quantity + taken.shortfall_quantity,
            shortfall_amount=self.shortfall_amount + taken.shortfall_amount)

    def as_record(self) -> dict:
        """The JSON the owner stores."""
        record = dataclasses.asdict(self)
        for name in ("amount", "taken_amount", "shortfall_amount"):
            record[name] = f"{record[name]:.2f}"
        record["objects"], record["codes"] = list(self.objects), list(self.codes)
        return record

    @classmethod
    def from_record(cls, record: dict) -> Given:
        values = {field.name: record[field.name] for field in dataclasses.fields(cls) if field.name in record}
        for name in ("amount", "taken_amount", "shortfall_amount"):
            if name in values:
                values[name] = Decimal(values[name])
        values["objects"] = tuple(values.get("objects", ()))
        values["codes"] = tuple(values.get("codes", ()))
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class TakenBack:
    """What one take-back took, and what it could not because the member had spent it already."""

    quantity: int = 0
    amount: Decimal = ZERO
    shortfall_quantity: int = 0
    shortfall_amount: Decimal = ZERO


def share_of(whole: int | Decimal, share: Decimal | None, left: int | Decimal):
    """The part of `whole` a refund's `share` (None: everything) takes back, never more than is `left`."""
    if share is None:
        return left
    if isinstance(whole, int):
        part = int((Decimal(whole) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    else:
        part = quantize(whole * share)
    return max(type(left)(0), min(part, left))


class Benefit(abc.ABC):
    """One kind of benefit. Subclasses set the class attributes and implement give, take back and describe.

    `uses` names the line fields the kind reads (`quantity`, `amount`, `target`); a kind with a target
    says in `target_field` and `target_label` how the admin's select is named and labelled, and lists the
    merchant's own choices in `targets`. `answer_key` is the key under which reward answers (quotes, the
    API) have long shown this kind; empty for kinds that only appear in the `benefits` descriptions.
    """

    code: ClassVar[str]
    label: ClassVar[str]
    order: ClassVar[int] = 100
    uses: ClassVar[frozenset[str]] = frozenset()
    target_field: ClassVar[str] = ""
    target_label: ClassVar[str] = ""
    answer_key: ClassVar[str] = ""
    # Items handed out one by one (a coupon), which recharge offers count against their limit.
    counted: ClassVar[bool] = False
    foreign_target_message: ClassVar[str] = gettext_lazy("Choose one of this merchant's own.")

    def targets(self, merchant_id: int | None) -> QuerySet | None:
        """What a merchant may choose as this kind's target (None: every merchant's, for the operator)."""
        return None

    def target_objects(self, ids: Iterable[int]) -> dict[int, models.Model]:
        queryset = self.targets(None)
        return queryset.in_bulk(set(ids)) if queryset is not None and ids else {}

    def validate(self, *, merchant_id: int | None, quantity: int, amount: Decimal,
                 target: models.Model | None) -> None:
        """Refuse a line this merchant may not have; kinds add their own checks after calling this."""
        if QUANTITY in self.uses and (isinstance(quantity, bool) or not isinstance(quantity, int)
                                      or not 1 <= quantity <= MAX_QUANTITY):
            raise DomainError(BENEFIT_QUANTITY_INVALID, _("Enter a whole number from 1 to %(most)d.")
                              % {"most": MAX_QUANTITY}, field=QUANTITY)
        if AMOUNT in self.uses:
            parse_amount(amount, field=AMOUNT)
        if TARGET in self.uses:
            if target is None:
                raise DomainError(BENEFIT_TARGET_REQUIRED, _("Choose what this line gives."), field=TARGET)
            if merchant_id is not None and getattr(target, "merchant_id", None) != merchant_id:
                raise DomainError(BENEFIT_TARGET_FOREIGN, self.foreign_target_message, field=TARGET)

    @abc.abstractmethod
    def give(self, line: BenefitLine, member, *, target: models.Model | None, occasion: str, reference: str,
             store=None, note: str = "") -> Given:
        """Give the member what `line` says, under `reference` (unique per giving and line)."""

    @abc.abstractmethod
    def take_back(self, given: Given, member, *, share: Decimal | None, reference: str, store=None) -> TakenBack:
        """Take back `share` (None: all that is left) of what was given, in the refund's `reference`."""

    @abc.abstractmethod
    def describe(self, line: BenefitLine, target: models.Model | None) -> str:
        """A short text for member pages, quotes and the admin ("20 points", "10 off ×2")."""

    def answer(self, lines: Sequence[tuple[BenefitLine, models.Model | None]]):
        """The value under `answer_key` for a rule's lines of this kind (an empty list: none)."""
        return None


benefits: Registry[Benefit] = Registry("benefits")


def kind_of(code: str) -> Benefit:
    try:
        return benefits.get(code)
    except LookupError:
        raise DomainError(BENEFIT_KIND_UNKNOWN, _("There is no benefit of this kind."), field="kind") from None


def validate_kind(code: str) -> None:
    if code not in benefits:
        raise ValidationError(_("There is no benefit of this kind."), code=BENEFIT_KIND_UNKNOWN)


def benefit_choices() -> list[tuple[str, str]]:
    """The registered kinds, read when a form or a display needs them (a callable, so migrations hold no list)."""
    return benefits.choices()


class BenefitLine(models.Model):
    """One line of what an owner (a reward rule, a recharge offer, the join gift) gives: a kind and its values.

    Subclasses add the foreign key to their owner and name it in `owner_field`; `target_id` is what the
    kind refers to (a coupon template, later a punch card product), chosen among the merchant's own.
    """

    owner_field: ClassVar[str] = ""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=gettext_lazy("merchant"))
    kind = models.CharField(gettext_lazy("kind"), max_length=30, choices=benefit_choices, validators=[validate_kind])
    quantity = models.PositiveIntegerField(gettext_lazy("quantity"), default=0)
    amount = MoneyField(gettext_lazy("amount"), default=ZERO)
    target_id = models.PositiveBigIntegerField(gettext_lazy("what it gives"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(gettext_lazy("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="%(app_label)s_%(class)s_amount")]

    def __str__(self):
        return self.describe(self.target())

    @property
    def benefit(self) -> Benefit:
        return kind_of(self.kind)

    def target(self) -> models.Model | None:
        """The line's target read afresh (pages that describe many lines use `with_targets`)."""
        if self.target_id is None or self.kind not in benefits:
            return None
        return self.benefit.target_objects([self.target_id]).get(self.target_id)

    def describe(self, target: models.Model | None) -> str:
        if self.kind not in benefits:
            return self.kind
        return self.benefit.describe(self, target)

    def owner_merchant_id(self) -> int | None:
        """The merchant of the line, or of its owner while the line is new (an admin form before saving)."""
        if self.merchant_id:
            return self.merchant_id
        field = type(self)._meta.get_field(self.owner_field)
        if field.is_cached(self):
            owner = getattr(self, self.owner_field)
            return getattr(owner, "merchant_id", None)
        return None


LineWithTarget = tuple[BenefitLine, models.Model | None]


def with_targets(lines: Iterable[BenefitLine]) -> list[LineWithTarget]:
    """Lines with their targets, read with one statement per kind that has targets; unknown kinds left out."""
    lines = [line for line in lines if line.kind in benefits]
    wanted: dict[str, set[int]] = defaultdict(set)
    for line in lines:
        if line.target_id is not None:
            wanted[line.kind].add(line.target_id)
    found = {kind: benefits.get(kind).target_objects(ids) for kind, ids in wanted.items()}
    return [(line, found.get(line.kind, {}).get(line.target_id)) for line in lines]


def describe_lines(lines: Iterable[LineWithTarget]) -> list[str]:
    return [line.describe(target) for line, target in lines]


def answers(lines: Iterable[LineWithTarget]) -> dict:
    """The long-standing answer keys (points, experience, coupon, cashback ...) for a set of lines."""
    by_kind: dict[str, list[LineWithTarget]] = defaultdict(list)
    for line, target in lines:
        by_kind[line.kind].append((line, target))
    return {kind.answer_key: kind.answer(by_kind.get(kind.code, [])) for kind in benefits.all() if kind.answer_key}


def _references(base: str, kinds: Iterable[str]) -> list[str]:
    """One reference per line: the first line of a kind gives under `base` itself (what ledgers held before
    lines existed), a second line of the same kind under `base:2`, so each lot or entry is its own."""
    seen: Counter = Counter()
    references = []
    for kind in kinds:
        seen[kind] += 1
        references.append(base if seen[kind] == 1 else f"{base}:{seen[kind]}")
    return references


def give_lines(lines: Sequence[LineWithTarget], member, *, occasion: str, reference: str, store=None,
               note: str = "", most_counted: int | None = None) -> list[Given]:
    """Give every line to `member`; the owner stores the answer (`as_records`) to take it back later.

    `most_counted` caps the items handed out one by one (coupons) over all lines: a line past the cap gives
    what is left of it, or nothing.
    """
    references = _references(reference, [line.kind for line, _target in lines])
    given = []
    for (line, target), line_reference in zip(lines, references, strict=True):
        kind = kind_of(line.kind)
        if kind.counted and most_counted is not None:
            left = most_counted - sum(record.quantity for record in given if benefits.get(record.kind).counted)
            if left <= 0:
                continue
            if line.quantity > left:
                line = copy.copy(line)
                line.quantity = left
        given.append(kind.give(line, member, target=target, occasion=occasion, reference=line_reference,
                               store=store, note=note))
    return given


def take_back(given: Sequence[Given], member, *, reference: str, share: Decimal | None = None,
              store=None) -> list[Given]:
    """Take back `share` (None: all that is left) of everything given, in the refund's `reference`.

    Each line takes back under `reference:n`, so ledgers that keep "once per refund reference" keep it per
    line. Returns the records updated with what was taken and what was short; kinds no longer registered
    are left as they were.
    """
    updated = []
    for n, record in enumerate(given, start=1):
        if record.kind not in benefits or (record.quantity_left == 0 and record.amount_left == ZERO):
            updated.append(record)
            continue
        taken = benefits.get(record.kind).take_back(record, member, share=share, reference=f"{reference}:{n}"[:64],
                                                    store=store)
        updated.append(record.after(taken))
    return updated


def as_records(given: Iterable[Given]) -> list[dict]:
    return [record.as_record() for record in given]


def from_records(records: Iterable[dict]) -> list[Given]:
    return [Given.from_record(record) for record in records or ()]


def total_quantity(given: Iterable[Given], kind: str) -> int:
    return sum(record.quantity for record in given if record.kind == kind)


def total_amount(given: Iterable[Given], kind: str) -> Decimal:
    return sum((record.amount for record in given if record.kind == kind), ZERO)
