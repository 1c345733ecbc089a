"""A bill as the counter describes it, and everything the pipeline needs about it, in a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext as _

from checkout import errors
from checkout.models import CheckoutSettings, RandomReductionDay
from checkout.services.config import merchant_config
from coupons.services import find_coupon_by_code
from coupons.services.rules import check_usable
from loyalty.compiled import CompiledRead
from loyalty.errors import DomainError
from loyalty.ledgers import read_member_accounts
from loyalty.money import ZERO, parse_amount
from loyalty.pricing import PricingInput, facts_for
from loyalty.tenders import load_tender_inputs
from merchants.member_codes import resolve_member_code
from merchants.models import Member, StaffMember, Store
from merchants.services import normalize_phone


def checkout_settings(merchant) -> CheckoutSettings:
    """The merchant's checkout settings, created with the defaults on first use."""
    found, _created = CheckoutSettings.objects.get_or_create(merchant_id=getattr(merchant, "pk", merchant))
    return found


@dataclass
class Bill:
    """What the terminal (or the member's page) asks to price: the bill and the discounts to try."""

    store: Store
    amount: Decimal
    member: Member | None = None
    payer_phone: str = ""
    lines: list[dict] | None = None
    coupon_code: str = ""
    points: int | str | None = None
    use_wallet: bool = False
    bill_id: str = ""
    terminal: object = None
    # Who is at the till: the staff member the terminal names (merchants.services.staff.cashier_at); None for
    # self-pay and payments the platform reports. One more column of the payment's INSERT, no statement of its own.
    cashier: StaffMember | None = None
    at: datetime.datetime = field(default_factory=timezone.now)
    # False for a payment the platform reports already paid: the amount is what was paid, priced elsewhere.
    discounts: bool = True
    # Tenders' own inputs, checked (loyalty.tenders.parse_tender_inputs), by tender code: the gift cards.
    tender_inputs: dict = field(default_factory=dict)

    @property
    def merchant_id(self) -> int:
        return self.store.merchant_id


def parse_lines(lines) -> list[dict] | None:
    """Bill lines for product coupons: sku, category, amount (and quantity); the coupons app reads `product`."""
    if lines in (None, []):
        return None
    if not isinstance(lines, list) or len(lines) > 500:
        raise DomainError(errors.LINES_INVALID, _("Lines must be a list of items."), field="lines")
    parsed = []
    for line in lines:
        if not isinstance(line, dict):
            raise DomainError(errors.LINES_INVALID, _("Each line needs a sku, a category and an amount."),
                              field="lines")
        quantity = line.get("quantity", 1)
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise DomainError(errors.LINES_INVALID, _("A line's quantity must be a whole number."), field="lines")
        parsed.append({"product": str(line.get("sku", ""))[:40], "category": str(line.get("category", ""))[:40],
                       "amount": parse_amount(line.get("amount"), field="lines", allow_zero=True),
                       "quantity": quantity})
    return parsed


def parse_points(points) -> int | str | None:
    if points in (None, "", 0):
        return None
    if points == "max":
        return "max"
    if isinstance(points, str) and points.strip().isdigit():
        points = int(points.strip())
    if isinstance(points, bool) or not isinstance(points, int) or points < 0:
        raise DomainError(errors.POINTS_INVALID, _("Points must be a whole number or \"max\"."), field="points")
    return points or None


def _first(queryset):
    """`queryset.first()`, unread: the rows `first()` would take, for a `loyalty.compiled` read."""
    return (queryset if queryset.ordered else queryset.order_by("pk"))[:1]


# Every payment by phone looks its payer up (loyalty.compiled).
_member_by_phone = CompiledRead(
    lambda merchant_id, phone: _first(Member.objects.filter(merchant_id=merchant_id, phone=phone)), int, str)


def find_member(merchant, member: dict | None) -> tuple[Member | None, str]:
    """The payer named by phone or by a scanned member QR code; an unknown phone is a payer who is not a member."""

    if not member:
        return None, ""
    if not isinstance(member, dict):
        raise DomainError(errors.MEMBER_INVALID, _("Name the member by phone or by member code."), field="member")
    if member.get("code"):
        found = resolve_member_code(merchant, str(member["code"]), field="member")
    elif member.get("phone"):
        phone = normalize_phone(str(member["phone"]))
        found = next(iter(_member_by_phone(merchant.pk, phone)), None)
        if found is None:
            return None, phone
    else:
        raise DomainError(errors.MEMBER_INVALID, _("Name the member by phone or by member code."), field="member")
    if found.status != Member.Status.ACTIVE:
        raise DomainError(errors.MEMBER_FROZEN, _("This membership is frozen."), field="member")
    return found, found.phone


@dataclass
class Loaded:
    """The rows a bill is priced with: read plainly for a quote, under locks for a payment. The pricing steps'
    `facts` hooks read it (loyalty.pricing.LoadedBill); `pricing` is what they made of it."""

    bill: Bill
    accounts: dict[str, object]  # the member's accounts by their code in loyalty.ledgers.member_accounts
    coupon: object
    config: object  # the merchant's MerchantConfig: settings, programme, levels, tiers and rules
    inputs: dict = field(default_factory=dict)  # what each input tender loaded (loyalty.tenders.load_tender_inputs)
    pricing: PricingInput = field(init=False)

    @property
    def wallet(self):
        return self.accounts.get("wallet")

    @property
    def card(self):
        return self.accounts.get("card")


def random_budget_left(settings: CheckoutSettings, day: datetime.date) -> Decimal:
    """What is left of the day's random reduction budget, read without a lock (`take_random_budget` takes it)."""
    if not settings.random_reduction_enabled:
        return ZERO
    row = RandomReductionDay.objects.filter(merchant_id=settings.merchant_id, day=day).first()
    if row is None:
        return settings.random_reduction_daily_budget
    return max(row.budget - row.spent, ZERO)


def take_random_budget(settings: CheckoutSettings, day: datetime.date, amount: Decimal) -> None:
    """Take a payment's random reduction from the day's budget, as its last write.

    One conditional UPDATE: the day's row is locked from here to the commit only, so the merchant's payments
    do not queue behind one another for their whole length. Racing payments that used the budget up since
    this bill was priced make it refused, and the payment with it (nothing changed).
    """
    def take() -> bool:
        return bool(RandomReductionDay.objects.filter(merchant_id=settings.merchant_id, day=day,
                                                      spent__lte=Round(F("budget") - amount, 2))
                    .update(spent=Round(F("spent") + amount, 2)))  # to the cent: SQLite adds in floating point

    if take():
        return
    # No row yet (the day's first payments, maybe racing to open it) or the budget is used up: open it if need
    # be, then try once more.
    RandomReductionDay.objects.get_or_create(merchant_id=settings.merchant_id, day=day,
                                             defaults={"budget": settings.random_reduction_daily_budget})
    if not take():
        raise DomainError(errors.RANDOM_BUDGET_USED_UP,
                          _("Today's random reduction budget ran out while this bill was being paid; quote it "
                            "again."), field="bill_id", status_code=409)


def check_coupon(bill: Bill, coupon) -> None:
    """Refuse a coupon of another member, or one that cannot be used at the bill's store now."""
    if bill.member is not None and coupon.member_id != bill.member.pk:
        raise DomainError(errors.COUPON_OTHER_MEMBER, _("This coupon belongs to another member."),
                          field="coupon_code", status_code=409)
    check_usable(coupon, store=bill.store, at=bill.at)


def load(bill: Bill, *, accounts: dict | None = None, coupon=None, inputs: dict | None = None) -> Loaded:
    """Read what the pipeline needs. A payment passes the member's accounts, the tenders' inputs and the
    coupon it has locked.

    The merchant's settings, levels and tiers come from `merchant_config` (cached); only the member's own rows
    (every registered account: loyalty.ledgers.member_accounts) and the coupon are read here. Each registered
    pricing step then takes its facts from these rows, and each tender its share.
    """

    merchant = bill.store.merchant
    member = bill.member
    accounts = dict(accounts or {})
    if member is not None:
        member.merchant = merchant
        accounts = read_member_accounts(member, known=accounts)
    card = accounts.get("card")
    config = merchant_config(merchant.pk, level_id=card.level_id if card is not None else None)
    level = config.level(card.level_id) if card is not None and card.level_id is not None else None
    if level is not None:
        card.level = level
    if coupon is None and bill.coupon_code:
        coupon = find_coupon_by_code(merchant, bill.coupon_code, store=bill.store)
    if coupon is not None:
        check_coupon(bill, coupon)
    if inputs is None:
        inputs = load_tender_inputs(bill.tender_inputs, store=bill.store, member=member, terminal=bill.terminal,
                                    at=bill.at, for_update=False) if bill.tender_inputs else {}
    loaded = Loaded(bill, accounts, coupon, config, inputs)
    loaded.pricing = PricingInput(bill=bill.amount, store_id=bill.store.pk, store=bill.store, at=bill.at,
                                  bill_id=bill.bill_id, lines=bill.lines, facts=facts_for(loaded))
    return loaded
