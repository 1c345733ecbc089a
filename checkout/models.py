"""Checkout (收银): payments with their adjustment and tender lines, refunds, and rewards after payment.

A payment records what the pipeline took off the bill (adjustments, in order) and how the amount due
was paid (tenders). Refunds never give back more than a tender took, which the database checks too.
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.benefits import BenefitLine, Given, from_records, total_amount, total_quantity
from loyalty.money import MoneyField
from loyalty.pricing import step_choices
from loyalty.tenders import tender_choices

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _new_webhook_secret() -> str:
    return secrets.token_hex(24)


class CheckoutSettings(models.Model):
    """A merchant's checkout settings (收银设置): which discounts stack, random reduction, points basis."""

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE, related_name="checkout_settings",
                                    verbose_name=_("merchant"))
    level_discount_stacks = models.BooleanField(
        _("member level discount stacks with other discounts"), default=True,
        help_text=_("If not, checkout keeps whichever alternative is cheaper for the member."))
    points_stack = models.BooleanField(_("points deduction stacks with other discounts"), default=True)
    coupons_stack = models.BooleanField(
        _("coupons stack with other discounts"), default=True,
        help_text=_("A coupon template may also say it does not stack."))
    random_reduction_stacks = models.BooleanField(_("random reduction stacks with other discounts"), default=True)
    random_reduction_enabled = models.BooleanField(_("random reduction (随机立减) on"), default=False)
    random_reduction_min = MoneyField(_("random reduction at least"), default=Decimal("0.01"),
                                      validators=[MinValueValidator(CENT)])
    random_reduction_max = MoneyField(_("random reduction at most"), default=Decimal("1.00"),
                                      validators=[MinValueValidator(CENT)])
    random_reduction_min_bill = MoneyField(_("random reduction on bills of at least"), default=ZERO,
                                           validators=[MinValueValidator(ZERO)])
    random_reduction_daily_budget = MoneyField(_("random reduction budget per day"), default=ZERO,
                                               validators=[MinValueValidator(ZERO)])
    bonus_counts_for_points = models.BooleanField(
        _("stored-value bonus counts as paid for points"), default=False,
        help_text=_("Points and experience are earned on what the member actually paid."))
    webhook_secret = models.CharField(_("payment webhook secret"), max_length=64, default=_new_webhook_secret)

    class Meta:
        verbose_name = _("checkout settings")
        verbose_name_plural = _("checkout settings")
        constraints = [
            models.CheckConstraint(condition=Q(random_reduction_max__gte=F("random_reduction_min")),
                                   name="checkout_random_range_ordered"),
            models.CheckConstraint(condition=Q(random_reduction_min__gt=0), name="checkout_random_min_positive"),
        ]

    def __str__(self):
        return str(self.merchant)


class RandomReductionDay(models.Model):
    """What random reduction has given on one day: a conditional UPDATE keeps it within the budget."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    day = models.DateField(_("day"))
    budget = MoneyField(_("budget"))
    spent = MoneyField(_("given"), default=ZERO)

    class Meta:
        verbose_name = _("random reduction day")
        verbose_name_plural = _("random reduction days")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "day"], name="random_reduction_day_once"),
            models.CheckConstraint(condition=Q(spent__gte=0) & Q(spent__lte=F("budget")),
                                   name="random_reduction_within_budget"),
        ]

    def __str__(self):
        return f"{self.day}: {self.spent} / {self.budget}"


class AdjustmentKind:
    """The codes the built-in pricing steps store on adjustment lines. Any registered step's code is a choice
    of `PaymentAdjustment.kind`, labelled by the step (loyalty.pricing.pricing_steps)."""

    LEVEL = "level"
    BALANCE_TIER = "balance_tier"
    POINTS = "points"
    COUPON = "coupon"
    RANDOM = "random"


class Channel(models.TextChoices):
    WECHAT = "wechat", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    CARD = "card", _("bank card")
    CASH = "cash", _("cash")
    SANDBOX = "sandbox", _("online (sandbox gateway)")


def _new_number() -> str:
    return f"P{timezone.now():%y%m%d}{secrets.token_hex(6).upper()}"


class Payment(models.Model):
    """One paid bill (买单): the bill, what came off it, and who paid what."""

    class Source(models.TextChoices):
        TERMINAL = "terminal", _("store terminal")
        SELF_PAY = "self_pay", _("member self-pay")
        WEBHOOK = "webhook", _("payment platform")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the outside payment")
        PAID = "paid", _("paid")
        PARTLY_REFUNDED = "partly_refunded", _("partly refunded")
        REFUNDED = "refunded", _("refunded")
        FAILED = "failed", _("failed")

    # No index of its own (nor the member's): the indexes below lead with it, and every payment writes each index.
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="payments",
                                 db_index=False, verbose_name=_("merchant"))
    number = models.CharField(_("number"), max_length=24, unique=True, default=_new_number, editable=False)
    store = models.ForeignKey("merchants.Store", on_delete=models.PROTECT, related_name="payments",
                              verbose_name=_("store"))
    terminal = models.ForeignKey("merchants.Terminal", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminal"))
    # Who took the payment at the till, for the settlement per cashier; empty for self-pay.
    cashier = models.ForeignKey("merchants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("cashier"))
    member = models.ForeignKey("merchants.Member", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="payments", db_index=False, verbose_name=_("member"))
    payer_phone = models.CharField(_("payer's phone"), max_length=16, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.TERMINAL)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PAID)
    bill_id = models.CharField(_("bill reference"), max_length=64, blank=True)
    bill_amount = MoneyField(_("bill"))
    discount_total = MoneyField(_("discounts"), default=ZERO)
    amount_due = MoneyField(_("amount due"))
    refunded_amount = MoneyField(_("refunded"), default=ZERO)
    channel = models.CharField(_("outside channel"), max_length=10, choices=Channel.choices, blank=True)
    trade_no = models.CharField(_("platform trade number"), max_length=64, blank=True)
    coupon = models.ForeignKey("coupons.Coupon", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("coupon"))
    points_used = models.PositiveIntegerField(_("points used"), default=0)
    points_earned = models.PositiveIntegerField(_("points earned"), default=0)
    experience_earned = models.PositiveIntegerField(_("experience earned"), default=0)
    earn_basis = MoneyField(_("counted as paid"), default=ZERO,
                            help_text=_("What points, experience and cashback were earned on."))
    cashback_earned = MoneyField(_("cashback earned"), default=ZERO)
    wallet_debit = models.OneToOneField("wallet.WalletDebit", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("wallet payment"))
    gateway_payment = models.OneToOneField("loyalty.GatewayPayment", on_delete=models.PROTECT, null=True,
                                           blank=True, related_name="checkout_payment",
                                           verbose_name=_("gateway payment"))
    request = models.JSONField(_("request"), default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-pk"]
        permissions = [("refund_payment", _("Can refund a payment"))]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "channel", "trade_no"], condition=~Q(trade_no=""),
                                    name="payment_trade_number_once"),
            models.CheckConstraint(condition=Q(bill_amount__gt=0), name="payment_bill_positive"),
            models.CheckConstraint(condition=Q(amount_due__gte=0) & Q(amount_due__lte=F("bill_amount")),
                                   name="payment_due_within_bill"),
            models.CheckConstraint(condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount_due")),
                                   name="payment_refund_at_most_paid"),
        ]
        # Reports and the dashboard read one merchant's payments of a range of days, every store at once.
        indexes = [models.Index(fields=["merchant", "store", "-created_at"]),
                   models.Index(fields=["member", "-created_at"]),
                   models.Index(fields=["merchant", "created_at"], name="payment_merchant_day"),
                   # Each member's visits and spend (the members report's RFM classes and their segment filter)
                   # read from the index alone, already grouped by member: no sort, no heap. Keys, not INCLUDE,
                   # so SQLite has the same index.
                   models.Index(fields=["merchant", "member", "created_at", "status", "amount_due", "refunded_amount"],
                                name="payment_member_visits")]

    def __str__(self):
        return self.number

    @property
    def refundable(self) -> Decimal:
        return self.amount_due - self.refunded_amount


class PaymentAdjustment(models.Model):
    """One step of the pipeline that took something off the bill, in order."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    # No index of its own: the (payment, position) constraint's leads with it.
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="adjustments", db_index=False,
                                verbose_name=_("payment"))
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=16, choices=step_choices)
    amount = MoneyField(_("amount off"))
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["payment", "position"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "position"], name="adjustment_position_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="adjustment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} −{self.amount}"


class PaymentTender(models.Model):
    """How part of the amount due was paid, and how much of it has been refunded."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    # No index of its own: the (payment, kind) constraint's leads with it.
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="tenders", db_index=False,
                                verbose_name=_("payment"))
    kind = models.CharField(_("kind"), max_length=32, choices=tender_choices)
    amount = MoneyField(_("amount"))
    refunded = MoneyField(_("refunded"), default=ZERO)

    class Meta:
        verbose_name = _("tender")
        verbose_name_plural = _("tenders")
        ordering = ["payment", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "kind"], name="tender_kind_once_per_payment"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="tender_amount_positive"),
            models.CheckConstraint(condition=Q(refunded__gte=0) & Q(refunded__lte=F("amount")),
                                   name="tender_refund_at_most_paid"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class Refund(models.Model):
    """A refund (退款) of a payment, whole or in part; its lines say where the money went back."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("payment"))
    number = models.CharField(_("number"), max_length=24, unique=True, editable=False)
    amount = MoneyField(_("amount"))
    is_full = models.BooleanField(_("completes the refund"), default=False)
    points_returned = models.PositiveIntegerField(_("points used, returned"), default=0)
    points_taken_back = models.PositiveIntegerField(_("points earned, taken back"), default=0)
    points_shortfall = models.PositiveIntegerField(
        _("points already spent (shortfall)"), default=0,
        help_text=_("Earned points the member had already spent, so could not be taken back."))
    experience_taken_back = models.PositiveIntegerField(_("experience taken back"), default=0)
    spend_taken_back = MoneyField(_("cumulative spend taken back"), default=ZERO)
    cashback_taken_back = MoneyField(_("cashback taken back"), default=ZERO)
    cashback_shortfall = MoneyField(_("cashback already spent (shortfall)"), default=ZERO)
    coupon_restored = models.BooleanField(_("coupon given back"), default=False)
    rewards_withdrawn = models.PositiveSmallIntegerField(_("rewards withdrawn"), default=0)
    terminal = models.ForeignKey("merchants.Terminal", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminal"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("staff"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="refund_amount_not_negative")]

    def __str__(self):
        return self.number


class RefundLine(models.Model):
    """What one tender got back in one refund."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines", verbose_name=_("refund"))
    tender = models.ForeignKey(PaymentTender, on_delete=models.PROTECT, related_name="refund_lines",
                               verbose_name=_("tender"))
    amount = MoneyField(_("amount"))

    class Meta:
        verbose_name = _("refund line")
        verbose_name_plural = _("refund lines")
        constraints = [
            models.UniqueConstraint(fields=["refund", "tender"], name="refund_line_once_per_tender"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_line_positive"),
        ]

    def __str__(self):
        return f"{self.tender.get_kind_display()} {self.amount}"


class RewardRule(models.Model):
    """A reward after payment (支付后营销): pay at least X at these stores, get its benefit lines (points, a
    coupon, cashback or any other registered kind)."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="reward_rules",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=60)
    stores = models.ManyToManyField("merchants.Store", blank=True, related_name="+", verbose_name=_("stores"),
                                    help_text=_("Empty: every store."))
    levels = models.ManyToManyField("membership.Level", blank=True, related_name="+", verbose_name=_("levels"),
                                    help_text=_("Empty: members of every level."))
    for_members = models.BooleanField(_("members get it"), default=True)
    for_non_members = models.BooleanField(
        _("payers who are not members get it when they join"), default=False,
        help_text=_("Held for 7 days; credited if they join within that time."))
    min_paid = MoneyField(_("paid at least"), default=ZERO, validators=[MinValueValidator(ZERO)])
    limit_per_store = models.PositiveIntegerField(_("at most per member per store"), default=0,
                                                  help_text=_("0 means no limit."))
    limit_total = models.PositiveIntegerField(_("at most per member in total"), default=0,
                                              help_text=_("0 means no limit."))
    starts_at = models.DateTimeField(_("starts"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    ad_image = models.URLField(_("ad image address"), blank=True)
    ad_link = models.URLField(_("ad link"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("reward rule")
        verbose_name_plural = _("reward rules")
        ordering = ["merchant", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(min_paid__gte=0), name="reward_rule_min_paid_not_negative"),
            models.CheckConstraint(condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True)
                                   | Q(ends_at__gt=F("starts_at")), name="reward_rule_window_ordered"),
        ]

    def __str__(self):
        return self.name


class RewardRuleBenefit(BenefitLine):
    """One line of what a reward rule gives (any registered kind of benefit)."""

    owner_field = "rule"
    rule = models.ForeignKey(RewardRule, on_delete=models.CASCADE, related_name="benefits", verbose_name=_("rule"))

    class Meta(BenefitLine.Meta):
        verbose_name = _("benefit of the reward")
        verbose_name_plural = _("benefits of the reward")


class RewardGrant(models.Model):
    """A reward one payment earned under one rule: given, held for a payer who may join, or withdrawn.

    `given` keeps what each of the rule's lines gave (loyalty.benefits.Given records), so that withdrawing
    the reward takes back exactly that, whatever the rule says by then.
    """

    class Status(models.TextChoices):
        GIVEN = "given", _("given")
        PENDING = "pending", _("held until the payer joins")
        WITHDRAWN = "withdrawn", _("withdrawn on refund")
        LAPSED = "lapsed", _("lapsed: the payer did not join in time")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    rule = models.ForeignKey(RewardRule, on_delete=models.PROTECT, related_name="grants", verbose_name=_("rule"))
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="rewards", verbose_name=_("payment"))
    member = models.ForeignKey("merchants.Member", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="+", verbose_name=_("member"))
    phone = models.CharField(_("payer's phone"), max_length=16, blank=True)
    store = models.ForeignKey("merchants.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.GIVEN)
    given = models.JSONField(_("what it gave"), default=list, blank=True)
    hold_until = models.DateTimeField(_("held until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    credited_at = models.DateTimeField(_("credited at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reward given")
        verbose_name_plural = _("rewards given")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["rule", "payment"], name="reward_once_per_payment")]
        indexes = [models.Index(fields=["rule", "member", "store"]), models.Index(fields=["merchant", "phone",
                                                                                          "status"])]

    def __str__(self):
        return f"{self.rule} → {self.member or self.phone}"

    @property
    def given_benefits(self) -> list[Given]:
        return from_records(self.given)

    # What the grant gave of the long-standing kinds, as answers and the admin have always shown it.
    @property
    def points(self) -> int:
        return total_quantity(self.given_benefits, "points")

    @property
    def experience(self) -> int:
        return total_quantity(self.given_benefits, "experience")

    @property
    def cashback(self) -> Decimal:
        return total_amount(self.given_benefits, "cashback")

    @property
    def coupon_code(self) -> str | None:
        return next((code for record in self.given_benefits if record.kind == "coupon" for code in record.codes),
                    None)


class WebhookDelivery(models.Model):
    """A payment the platform reported, by trade number: a replay returns the first answer."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    trade_no = models.CharField(_("platform trade number"), max_length=64)
    payment = models.OneToOneField(Payment, on_delete=models.CASCADE, null=True, blank=True, related_name="+",
                                   verbose_name=_("payment"))
    response = models.JSONField(_("first answer"), default=dict)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment report")
        verbose_name_plural = _("payment reports")
        ordering = ["-received_at"]
        constraints = [models.UniqueConstraint(fields=["merchant", "trade_no"], name="webhook_trade_number_once")]

    def __str__(self):
        return self.trade_no
