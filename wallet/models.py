"""Stored value (储值) and the marketing wallet (营销钱包): pockets, their ledger, recharges and rules.

A member's wallet has three pockets: principal (本金, what the member paid in), bonus (赠送金, what
the merchant gave on recharge) and cashback (营销钱包: cashback and red packets, which may expire).
Balances change only through wallet.services, which lock the wallet row and write a `WalletEntry`
for every change in the same transaction.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coupons.benefits import CouponBenefit
from loyalty.benefits import BenefitLine
from loyalty.ledgers import LedgerEntry, TakeBack, ValueLot, entry_constraints
from loyalty.money import MoneyField

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# A recharge offer gives at most this many coupons in all (the "up to five coupons").
MAX_RECHARGE_COUPONS = 5
# A special period has both ends, the end after the start; or neither (always on).
WINDOW_COMPLETE = Q(starts_at__isnull=True, ends_at__isnull=True) | Q(
    starts_at__isnull=False, ends_at__isnull=False, ends_at__gt=models.F("starts_at"))


def check_window(starts_at, ends_at, *, required: bool = True) -> None:
    """The admin's version of WINDOW_COMPLETE: a translated form error instead of a database crash."""
    if required and (starts_at is None) != (ends_at is None):
        raise ValidationError(_("Give both the start and the end of the special period, or neither."))
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The end must come after the start.")})


class Pocket(models.TextChoices):
    PRINCIPAL = "principal", _("principal")
    BONUS = "bonus", _("bonus")
    CASHBACK = "cashback", _("cashback")


class DrawOrder(models.TextChoices):
    BONUS_FIRST = "bonus_first", _("bonus first")
    PRINCIPAL_FIRST = "principal_first", _("principal first")
    PROPORTIONAL = "proportional", _("in proportion")


class WalletSettings(models.Model):
    """A merchant's stored-value settings (储值设置)."""

    class OffersAfterPayment(models.TextChoices):
        NEVER = "never", _("never")
        ONCE = "once", _("once per member")
        EVERY_PAYMENT = "every_payment", _("after every payment")

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE, related_name="wallet_settings",
                                    verbose_name=_("merchant"))
    stored_value_enabled = models.BooleanField(
        _("stored value on"), default=False,
        help_text=_("Once on, it cannot be turned off while any member holds a balance."))
    draw_order = models.CharField(_("how payments draw on the wallet"), max_length=20, choices=DrawOrder.choices,
                                  default=DrawOrder.BONUS_FIRST)
    offers_after_payment = models.CharField(
        _("show recharge offers after a payment"), max_length=20, choices=OffersAfterPayment.choices,
        default=OffersAfterPayment.NEVER, help_text=_("Only to members who never recharged."))
    max_recharge = MoneyField(_("largest single recharge"), default=Decimal("50000.00"),
                              validators=[MinValueValidator(CENT)])
    balance_tier_stacks = models.BooleanField(
        _("balance-tier discount stacks with other discounts"), default=True,
        help_text=_("If not, checkout keeps whichever of the alternatives is cheaper for the member."))
    cashback_expiry_days = models.PositiveIntegerField(_("cashback expires after (days)"), default=90,
                                                       help_text=_("0 means cashback never expires."))

    class Meta:
        verbose_name = _("wallet settings")
        verbose_name_plural = _("wallet settings")
        constraints = [models.CheckConstraint(condition=Q(max_recharge__gt=0), name="wallet_max_recharge_positive")]

    def __str__(self):
        return str(self.merchant)


class Wallet(models.Model):
    """One member's wallet at one merchant (会员钱包), with its three pockets."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="wallets",
                                 verbose_name=_("merchant"))
    member = models.OneToOneField("merchants.Member", on_delete=models.CASCADE, related_name="wallet",
                                  verbose_name=_("member"))
    principal = MoneyField(_("principal"), default=ZERO)
    bonus = MoneyField(_("bonus"), default=ZERO)
    cashback = MoneyField(_("cashback"), default=ZERO)
    recharged_total = MoneyField(_("recharged in total"), default=ZERO)
    offers_shown_at = models.DateTimeField(_("recharge offers last shown"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gte=0), name="wallet_principal_not_negative"),
            models.CheckConstraint(condition=Q(bonus__gte=0), name="wallet_bonus_not_negative"),
            models.CheckConstraint(condition=Q(cashback__gte=0), name="wallet_cashback_not_negative"),
        ]
        indexes = [models.Index(fields=["merchant", "principal"])]

    def __str__(self):
        return str(self.member)

    @property
    def stored_value(self) -> Decimal:
        """What the member can spend that they or the merchant put in: principal and bonus."""
        return self.principal + self.bonus

    @property
    def spendable(self) -> Decimal:
        return self.principal + self.bonus + self.cashback


class RechargeOffer(models.Model):
    """A recharge offer (充值赠送): pay at least X, get a bonus now and, optionally, every month after, and
    its benefit lines (points, experience, coupons or any other registered kind).

    Offers with a date/time window are special-period offers: while any is live, only they apply.
    """

    class BonusKind(models.TextChoices):
        FIXED = "fixed", _("fixed amount")
        PERCENT = "percent", _("percentage of the recharge")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="recharge_offers",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=60)
    pay_amount = MoneyField(_("recharge at least"), validators=[MinValueValidator(CENT)])
    bonus_kind = models.CharField(_("bonus kind"), max_length=10, choices=BonusKind.choices,
                                  default=BonusKind.FIXED)
    bonus_value = models.DecimalField(_("bonus now"), max_digits=14, decimal_places=2, default=ZERO,
                                      validators=[MinValueValidator(ZERO)],
                                      help_text=_("An amount, or a percentage of the recharge."))
    monthly_bonus = MoneyField(_("bonus each following month"), default=ZERO, validators=[MinValueValidator(ZERO)])
    monthly_bonus_months = models.PositiveSmallIntegerField(
        _("months of monthly bonus"), default=0, validators=[MaxValueValidator(36)],
        help_text=_("Paid on the same day of each following month; stops if the recharge is refunded."))
    starts_at = models.DateTimeField(_("special period starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("special period ends"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("recharge offer")
        verbose_name_plural = _("recharge offers")
        ordering = ["merchant", "pay_amount"]
        constraints = [
            models.CheckConstraint(condition=Q(pay_amount__gt=0), name="recharge_offer_pay_positive"),
            models.CheckConstraint(condition=Q(bonus_value__gte=0) & Q(monthly_bonus__gte=0),
                                   name="recharge_offer_bonus_not_negative"),
            models.CheckConstraint(condition=~Q(bonus_kind="percent") | Q(bonus_value__lte=100),
                                   name="recharge_offer_percent_at_most_100"),
            models.CheckConstraint(condition=WINDOW_COMPLETE,
                                   name="recharge_offer_window_complete"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        check_window(self.starts_at, self.ends_at)
        if self.bonus_kind == self.BonusKind.PERCENT and self.bonus_value is not None and self.bonus_value > 100:
            raise ValidationError({"bonus_value": _("A percentage bonus is at most 100.")})
        if self.monthly_bonus and not self.monthly_bonus_months:
            raise ValidationError({"monthly_bonus_months": _("Say for how many months the monthly bonus is paid.")})

    @property
    def is_special(self) -> bool:
        return self.starts_at is not None

    @property
    def coupons(self) -> models.QuerySet:
        return RechargeOfferCoupon.objects.filter(offer=self)


class RechargeOfferBenefit(BenefitLine):
    """One line of what a recharge offer gives besides the bonus; coupons count against five in all."""

    owner_field = "offer"
    offer = models.ForeignKey(RechargeOffer, on_delete=models.CASCADE, related_name="benefits",
                              verbose_name=_("recharge offer"))

    class Meta(BenefitLine.Meta):
        verbose_name = _("benefit of the recharge offer")
        verbose_name_plural = _("benefits of the recharge offer")


class CouponLines(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=CouponBenefit.code)

    def create(self, *, template, quantity: int = 1, **fields):
        return super().create(kind=CouponBenefit.code, target_id=template.pk, quantity=quantity, **fields)


class RechargeOfferCoupon(RechargeOfferBenefit):
    """The coupon lines of recharge offers (充值送券), as they were read before offers had lines of any kind."""

    objects = CouponLines()

    class Meta:
        proxy = True
        verbose_name = _("coupon given with the recharge")
        verbose_name_plural = _("coupons given with the recharge")


class Recharge(models.Model):
    """One recharge (充值): principal paid in and the bonus given for it.

    `principal_left` and `bonus_left` say how much of this recharge is still unspent (payments draw on
    the oldest recharges first), which is what a refund may return and what the store still owes.
    """

    class Channel(models.TextChoices):
        CASH = "cash", _("cash at the counter")
        GATEWAY = "gateway", _("online payment")
        GIFT_CARD = "gift_card", _("moved from a gift card")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for payment")
        PAID = "paid", _("paid")
        FAILED = "failed", _("payment failed")
        REFUNDED = "refunded", _("refunded")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="recharges",
                                 verbose_name=_("merchant"))
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="recharges", verbose_name=_("wallet"))
    member = models.ForeignKey("merchants.Member", on_delete=models.PROTECT, related_name="recharges",
                               verbose_name=_("member"))
    store = models.ForeignKey("merchants.Store", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="recharges", verbose_name=_("store"))
    offer = models.ForeignKey(RechargeOffer, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="recharges", verbose_name=_("offer"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    amount = MoneyField(_("amount paid"))
    bonus_now = MoneyField(_("bonus given at once"), default=ZERO)
    bonus_scheduled = MoneyField(_("bonus in instalments"), default=ZERO)
    points = models.PositiveIntegerField(_("points given"), default=0)
    experience = models.PositiveIntegerField(_("experience given"), default=0)
    coupons_given = models.PositiveSmallIntegerField(_("coupons given"), default=0)
    # What each of the offer's lines gave (loyalty.benefits.Given records): what a refund takes back.
    given = models.JSONField(_("benefits given"), default=list, blank=True)
    principal_left = MoneyField(_("unspent principal"), default=ZERO)
    bonus_left = MoneyField(_("unspent bonus"), default=ZERO)
    refunded_principal = MoneyField(_("principal refunded"), default=ZERO)
    bonus_taken_back = MoneyField(_("bonus taken back"), default=ZERO)
    gateway_payment = models.OneToOneField("loyalty.GatewayPayment", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="recharge", verbose_name=_("gateway payment"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("recorded by"))
    terminal = models.ForeignKey("merchants.Terminal", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminal"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recharge")
        verbose_name_plural = _("recharges")
        ordering = ["-created_at", "-pk"]
        permissions = [("refund_recharge", _("Can refund a recharge"))]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recharge_amount_positive"),
            models.CheckConstraint(condition=Q(principal_left__gte=0) & Q(bonus_left__gte=0),
                                   name="recharge_left_not_negative"),
            models.CheckConstraint(condition=Q(principal_left__lte=models.F("amount")),
                                   name="recharge_principal_left_at_most_paid"),
        ]
        indexes = [models.Index(fields=["wallet", "status"]), models.Index(fields=["merchant", "store"])]

    def __str__(self):
        return f"{self.member} +{self.amount}"

    @property
    def bonus_total(self) -> Decimal:
        return self.bonus_now + self.bonus_scheduled


class BonusInstalment(models.Model):
    """A bonus paid later (分期赠送): one month's share of a recharge's bonus, paid exactly once."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    recharge = models.ForeignKey(Recharge, on_delete=models.CASCADE, related_name="instalments",
                                 verbose_name=_("recharge"))
    sequence = models.PositiveSmallIntegerField(_("number"))
    due_date = models.DateField(_("due on"), db_index=True)
    amount = MoneyField(_("amount"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("bonus instalment")
        verbose_name_plural = _("bonus instalments")
        ordering = ["recharge", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["recharge", "sequence"], name="instalment_once_per_month"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self):
        return f"{self.recharge} #{self.sequence}"


class RechargeCoupon(models.Model):
    """A coupon given with a recharge: what a refund of the recharge takes back (voids, if still unused)."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    recharge = models.ForeignKey(Recharge, on_delete=models.PROTECT, related_name="coupons",
                                 verbose_name=_("recharge"))
    coupon = models.OneToOneField("coupons.Coupon", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("coupon"))

    class Meta:
        verbose_name = _("coupon given with a recharge")
        verbose_name_plural = _("coupons given with recharges")
        ordering = ["recharge", "pk"]

    def __str__(self):
        return f"{self.recharge} · {self.coupon}"


class CashbackLot(ValueLot):
    """Money in the cashback pocket from one source (返现 or 红包), with its own expiry.

    Payments use the lots that expire first; the expiry task takes back what is left of a lot.
    """

    class Source(models.TextChoices):
        CASHBACK = "cashback", _("cashback")
        RED_PACKET = "red_packet", _("red packet")

    # No index of its own: (wallet, source, reference) serves a wallet's lots, and each index is written again by
    # every lot a draw takes from (issue 16: a heavy member's payment draws dozens).
    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="cashback_lots",
                               verbose_name=_("wallet"), db_index=False)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    reference = models.CharField(_("reference"), max_length=64)
    amount = MoneyField(_("amount"))
    remaining = MoneyField(_("remaining"))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    expired = models.BooleanField(_("expired"), default=False)

    class Meta:
        verbose_name = _("cashback lot")
        verbose_name_plural = _("cashback lots")
        ordering = ["wallet", "expires_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["wallet", "source", "reference"], name="cashback_once_per_reference"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="cashback_lot_amount_positive"),
            models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("amount")),
                                   name="cashback_lot_remaining_in_range"),
        ]
        indexes = [
            models.Index(fields=["expired", "expires_at"]),
            # A payment's draw reads the first lots with something left in spending order, and those of the
            # wallet past their day (loyalty.ledgers.lots_covering(first=)).
            models.Index(fields=["wallet", "expires_at", "id"], condition=Q(expired=False, remaining__gt=0),
                         name="cashback_lot_spend_order"),
            models.Index(fields=["wallet", "expires_at"], condition=Q(expired=False), name="cashback_lot_not_expired"),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.amount}"


class WalletDebit(models.Model):
    """What one payment took from a wallet, pocket by pocket, and what has been refunded of it.

    `sources` remembers which recharges and cashback lots each pocket drew on, so a refund puts the
    money back where it came from.
    """

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    # No index of its own: the (wallet, reference) constraint's leads with it.
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="debits", db_index=False,
                               verbose_name=_("wallet"))
    reference = models.CharField(_("reference"), max_length=64)
    amount = MoneyField(_("amount"))
    principal = MoneyField(_("from principal"), default=ZERO)
    bonus = MoneyField(_("from bonus"), default=ZERO)
    cashback = MoneyField(_("from cashback"), default=ZERO)
    refunded_principal = MoneyField(_("principal refunded"), default=ZERO)
    refunded_bonus = MoneyField(_("bonus refunded"), default=ZERO)
    refunded_cashback = MoneyField(_("cashback refunded"), default=ZERO)
    sources = models.JSONField(_("sources"), default=dict)
    store = models.ForeignKey("merchants.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("store"))
    terminal = models.ForeignKey("merchants.Terminal", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminal"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("wallet payment")
        verbose_name_plural = _("wallet payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["wallet", "reference"], name="wallet_debit_once_per_reference"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="wallet_debit_amount_positive"),
            models.CheckConstraint(condition=Q(refunded_principal__lte=models.F("principal"))
                                   & Q(refunded_bonus__lte=models.F("bonus"))
                                   & Q(refunded_cashback__lte=models.F("cashback")),
                                   name="wallet_debit_refund_at_most_taken"),
        ]

    def __str__(self):
        return f"{self.reference} −{self.amount}"

    @property
    def refunded(self) -> Decimal:
        return self.refunded_principal + self.refunded_bonus + self.refunded_cashback


class CashbackTakeBack(TakeBack):
    """Cashback taken back because the payment that earned it was refunded (once per refund).

    What the member had already spent cannot be taken from the pocket (a balance never goes below
    zero): it is recorded here as the shortfall, for the merchant to settle with the refund.
    """

    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="+", verbose_name=_("wallet"))
    lot = models.ForeignKey(CashbackLot, on_delete=models.PROTECT, related_name="take_backs",
                            verbose_name=_("cashback"))
    taken = MoneyField(_("taken back"), default=ZERO)
    shortfall = MoneyField(_("already spent (shortfall)"), default=ZERO)

    class Meta:
        verbose_name = _("cashback taken back")
        verbose_name_plural = _("cashback taken back")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["lot", "reference"], name="cashback_take_back_once_per_refund"),
            models.CheckConstraint(condition=Q(taken__gte=0) & Q(shortfall__gte=0),
                                   name="cashback_take_back_not_negative"),
        ]

    def __str__(self):
        return f"{self.reference} −{self.taken}"


class WalletEntry(LedgerEntry):
    """The append-only money ledger (资金流水): one row per change of one pocket."""

    class Reason(models.TextChoices):
        RECHARGE = "recharge", _("recharge")
        RECHARGE_BONUS = "recharge_bonus", _("recharge bonus")
        BONUS_INSTALMENT = "bonus_instalment", _("monthly recharge bonus")
        PAYMENT = "payment", _("payment")
        PAYMENT_REFUND = "payment_refund", _("payment refunded")
        RECHARGE_REFUND = "recharge_refund", _("recharge refunded")
        BONUS_TAKEN_BACK = "bonus_taken_back", _("bonus taken back on refund")
        CASHBACK = "cashback", _("cashback")
        RED_PACKET = "red_packet", _("red packet")
        CASHBACK_EXPIRED = "cashback_expired", _("cashback expired")
        CASHBACK_TAKEN_BACK = "cashback_taken_back", _("cashback taken back on refund")

    # No index of the wallet or the merchant alone: the indexes below lead with each, and a payment writes an entry
    # a pocket it takes from.
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+", db_index=False,
                                 verbose_name=_("merchant"))
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="entries", db_index=False,
                               verbose_name=_("wallet"))
    pocket = models.CharField(_("pocket"), max_length=10, choices=Pocket.choices)
    delta = MoneyField(_("change"))
    balance_after = MoneyField(_("balance after"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    recharge = models.ForeignKey(Recharge, on_delete=models.PROTECT, null=True, blank=True, related_name="entries",
                                 verbose_name=_("recharge"))
    debit = models.ForeignKey(WalletDebit, on_delete=models.PROTECT, null=True, blank=True, related_name="entries",
                              verbose_name=_("wallet payment"))

    class Meta:
        verbose_name = _("wallet ledger entry")
        verbose_name_plural = _("wallet ledger entries")
        ordering = ["-created_at", "-pk"]
        constraints = entry_constraints("wallet_entry")
        # (merchant, created_at): the liability roll-forward's sums before and after its window, today's live
        # part of the kept days and the dashboard's windows read a merchant's entries by time.
        indexes = [models.Index(fields=["wallet", "-created_at", "-id"]), models.Index(fields=["merchant", "reason"]),
                   models.Index(fields=["merchant", "created_at"])]

    def __str__(self):
        return f"{self.get_pocket_display()} {self.delta:+}"


class WalletKeptDay(models.Model):
    """A merchant's local day whose wallet ledger is summed in `WalletDay` (资金日汇总), built by
    `wallet.tasks.keep_wallet_days`. Reports read kept days from there and every other day (today, a day not yet
    built) from the entries themselves, so a year answers fast and today is always up to date."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    day = models.DateField(_("day"))
    built_at = models.DateTimeField(_("built at"), default=timezone.now)

    class Meta:
        verbose_name = _("kept wallet day")
        verbose_name_plural = _("kept wallet days")
        constraints = [models.UniqueConstraint(fields=["merchant", "day"], name="wallet_kept_day_once")]

    def __str__(self):
        return f"{self.merchant_id} {self.day}"


class WalletDay(models.Model):
    """The wallet ledger of one kept day, one pocket, one store (none for entries no store made) and one reason:
    the sum of its entries' changes and their number."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    day = models.DateField(_("day"))
    pocket = models.CharField(_("pocket"), max_length=10, choices=Pocket.choices)
    # As the entries it sums: a store deleted leaves its figures, with no store, so kept and live readings agree.
    store = models.ForeignKey("merchants.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("store"))
    reason = models.CharField(_("reason"), max_length=20, choices=WalletEntry.Reason.choices)
    delta = MoneyField(_("change"))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("wallet day")
        verbose_name_plural = _("wallet days")
        indexes = [models.Index(fields=["merchant", "day"])]

    def __str__(self):
        return f"{self.merchant_id} {self.day} {self.pocket} {self.reason} {self.delta:+}"


class BalanceTier(models.Model):
    """A balance-tier discount (储值折上折): members holding at least this much stored value pay less.

    Tiers with a date/time window are special-period tiers: while any is live, only they apply.
    """

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="balance_tiers",
                                 verbose_name=_("merchant"))
    min_balance = MoneyField(_("stored value at least"), validators=[MinValueValidator(CENT)])
    discount_percent = models.DecimalField(
        # xgettext:no-python-format
        _("pay (% of the bill)"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("100"))],
        # xgettext:no-python-format
        help_text=_("80 means the member pays 80% of the bill."))
    starts_at = models.DateTimeField(_("special period starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("special period ends"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("balance-tier discount")
        verbose_name_plural = _("balance-tier discounts")
        ordering = ["merchant", "min_balance"]
        constraints = [
            models.CheckConstraint(condition=Q(discount_percent__gt=0) & Q(discount_percent__lte=100),
                                   name="balance_tier_percent_in_range"),
            models.CheckConstraint(condition=Q(min_balance__gt=0), name="balance_tier_min_positive"),
            models.CheckConstraint(condition=WINDOW_COMPLETE,
                                   name="balance_tier_window_complete"),
        ]

    def __str__(self):
        return _("≥ %(balance)s: pay %(percent)s%%") % {"balance": self.min_balance, "percent": self.discount_percent}

    def clean(self):
        check_window(self.starts_at, self.ends_at)


class CashbackRule(models.Model):
    """Cashback (消费返现): a share of each payment returned to the cashback pocket.

    A rule may name a store, a level, both or neither; the most specific rule that matches applies.
    """

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="cashback_rules",
                                 verbose_name=_("merchant"))
    store = models.ForeignKey("merchants.Store", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                              verbose_name=_("store"), help_text=_("Empty: every store."))
    level = models.ForeignKey("membership.Level", on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                              verbose_name=_("level"), help_text=_("Empty: every level."))
    percent = models.DecimalField(
        # xgettext:no-python-format
        _("cashback (% of the payment)"), max_digits=5, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))])
    cap_per_payment = MoneyField(_("at most per payment"), default=ZERO, validators=[MinValueValidator(ZERO)],
                                 help_text=_("0 means no limit."))
    expiry_days = models.PositiveIntegerField(_("expires after (days)"), null=True, blank=True,
                                              help_text=_("Empty: the merchant's default."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("cashback rule")
        verbose_name_plural = _("cashback rules")
        ordering = ["merchant", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(percent__gt=0) & Q(percent__lte=100), name="cashback_percent_in_range"),
        ]

    def __str__(self):
        return _("%(percent)s%% cashback") % {"percent": self.percent}


def _new_link_token() -> str:
    return secrets.token_urlsafe(12)


class RedPacketCampaign(models.Model):
    """A red packet (红包) campaign: a fixed or random amount when a condition is met, within a budget."""

    class Trigger(models.TextChoices):
        FIRST_PAYMENT = "first_payment", _("first payment")
        JOIN = "join", _("joining")
        LINK = "link", _("campaign link")

    class AmountKind(models.TextChoices):
        FIXED = "fixed", _("fixed amount")
        RANDOM = "random", _("random amount")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="red_packet_campaigns",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=60)
    trigger = models.CharField(_("given on"), max_length=16, choices=Trigger.choices)
    amount_kind = models.CharField(_("amount kind"), max_length=10, choices=AmountKind.choices,
                                   default=AmountKind.FIXED)
    amount = MoneyField(_("amount (or smallest random amount)"), validators=[MinValueValidator(CENT)])
    max_amount = MoneyField(_("largest random amount"), null=True, blank=True, validators=[MinValueValidator(CENT)])
    budget = MoneyField(_("total budget"), validators=[MinValueValidator(CENT)])
    spent = MoneyField(_("given so far"), default=ZERO, editable=False)
    per_member_limit = models.PositiveSmallIntegerField(_("at most per member"), default=1,
                                                        validators=[MinValueValidator(1)])
    expiry_days = models.PositiveIntegerField(_("expires after (days)"), null=True, blank=True,
                                              help_text=_("Empty: the merchant's default."))
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    link_token = models.CharField(_("link token"), max_length=32, unique=True, default=_new_link_token,
                                  editable=False)

    class Meta:
        verbose_name = _("red packet campaign")
        verbose_name_plural = _("red packet campaigns")
        ordering = ["merchant", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(spent__gte=0) & Q(spent__lte=models.F("budget")),
                                   name="red_packet_never_over_budget"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="red_packet_amount_positive"),
            models.CheckConstraint(condition=Q(max_amount__isnull=True) | Q(max_amount__gte=models.F("amount")),
                                   name="red_packet_random_range"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        check_window(self.starts_at, self.ends_at, required=False)
        if self.amount_kind == self.AmountKind.RANDOM:
            if self.max_amount is None:
                raise ValidationError({"max_amount": _("A random red packet needs its largest amount.")})
            if self.amount is not None and self.max_amount < self.amount:
                raise ValidationError({"max_amount": _("The largest amount must be at least the smallest.")})
        else:
            self.max_amount = None
        if self.amount is not None and self.budget is not None and self.budget < self.amount:
            raise ValidationError({"budget": _("The budget must hold at least one red packet.")})
        if self.pk is not None and self.budget is not None and self.budget < self.spent:
            raise ValidationError({"budget": _("%(spent)s has already been given; the budget cannot be less.")
                                   % {"spent": self.spent}})


class RedPacketClaim(models.Model):
    """A red packet a member received; `sequence` numbers a member's claims, so the limit holds in the DB."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    campaign = models.ForeignKey(RedPacketCampaign, on_delete=models.PROTECT, related_name="claims",
                                 verbose_name=_("campaign"))
    member = models.ForeignKey("merchants.Member", on_delete=models.CASCADE, related_name="red_packets",
                               verbose_name=_("member"))
    sequence = models.PositiveSmallIntegerField(_("number"))
    amount = MoneyField(_("amount"))
    lot = models.OneToOneField(CashbackLot, on_delete=models.PROTECT, related_name="red_packet",
                               verbose_name=_("cashback lot"))
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)

    class Meta:
        verbose_name = _("red packet")
        verbose_name_plural = _("red packets")
        ordering = ["-claimed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member", "sequence"], name="red_packet_claim_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="red_packet_claim_positive"),
        ]

    def __str__(self):
        return f"{self.campaign} → {self.member}"
