"""The membership card programme (会员卡): levels, points and experience of each member."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.ledgers import LedgerEntry, TakeBack, ValueLot, entry_constraints
from loyalty.money import MoneyField


class MembershipProgram(models.Model):
    """One membership card programme per merchant (会员卡): its face, its levels' basis and its points rules.

    The points rules follow WeChat member cards: `cost_money_unit` paid earns `increase_bonus` points (at most
    `max_increase_bonus` a payment); `cost_bonus_unit` points take `reduce_money` off a bill of at least
    `least_money_to_use_bonus`, at most `max_reduce_bonus` points a bill.
    """

    class LevelBasis(models.TextChoices):
        EXPERIENCE = "experience", _("cumulative experience")
        SPEND = "spend", _("cumulative spend")

    class PointsExpiry(models.TextChoices):
        NEVER = "never", _("never expire")
        MONTHS = "months", _("at the end of the Nth month after earning")
        YEARS = "years", _("at the end of the Nth year after earning")

    class Retention(models.TextChoices):
        NEVER_DROP = "never_drop", _("levels never drop")
        REEVALUATE = "reevaluate", _("re-evaluated every N days")

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE, related_name="membership_program",
                                    verbose_name=_("merchant"))
    card_name = models.CharField(_("card name"), max_length=40)
    colour = models.CharField(_("colour"), max_length=7, default="#C0392B",
                              help_text=_("Card face colour as #RRGGBB."))
    logo = models.FileField(_("logo"), upload_to="membership/logos/", blank=True)
    notice = models.CharField(_("notice"), max_length=200, blank=True)
    service_phone = models.CharField(_("service phone"), max_length=32, blank=True)
    join_requires_fields = models.BooleanField(_("joining asks for the member attributes"), default=True)
    opening_points = models.PositiveIntegerField(_("points given on joining"), default=0)

    level_basis = models.CharField(_("levels are reached by"), max_length=16, choices=LevelBasis.choices,
                                   default=LevelBasis.EXPERIENCE)
    retention = models.CharField(_("level retention"), max_length=16, choices=Retention.choices,
                                 default=Retention.NEVER_DROP)
    retention_days = models.PositiveIntegerField(_("re-evaluation period (days)"), default=365,
                                                 validators=[MinValueValidator(1)])
    drop_warning_days = models.PositiveIntegerField(_("warn members this many days before a drop"), default=7)

    cost_money_unit = MoneyField(_("money per earning unit"), default=Decimal("1.00"),
                                 validators=[MinValueValidator(Decimal("0.01"))])
    increase_bonus = models.PositiveIntegerField(_("points per earning unit"), default=1)
    max_increase_bonus = models.PositiveIntegerField(_("most points per payment"), default=0,
                                                     help_text=_("0 means no limit."))
    experience_per_unit = models.PositiveIntegerField(_("experience per earning unit"), default=1)

    cost_bonus_unit = models.PositiveIntegerField(_("points per deduction unit"), default=100,
                                                  validators=[MinValueValidator(1)])
    reduce_money = MoneyField(_("money off per deduction unit"), default=Decimal("1.00"),
                              validators=[MinValueValidator(Decimal("0.01"))])
    least_money_to_use_bonus = MoneyField(_("least bill to use points"), default=Decimal("0.00"))
    max_reduce_bonus = models.PositiveIntegerField(_("most points per bill"), default=0,
                                                   help_text=_("0 means no limit."))
    points_deduction_enabled = models.BooleanField(_("points can pay part of a bill"), default=True)

    points_expiry = models.CharField(_("points expiry"), max_length=16, choices=PointsExpiry.choices,
                                     default=PointsExpiry.NEVER)
    points_expiry_period = models.PositiveSmallIntegerField(_("expiry period (N)"), default=1,
                                                            validators=[MinValueValidator(1)])
    expiry_warning_days = models.PositiveSmallIntegerField(_("warn members this many days before expiry"),
                                                           default=7)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership programme")
        verbose_name_plural = _("membership programmes")

    def __str__(self):
        return self.card_name


class Level(models.Model):
    """A membership level (会员等级): reached at a threshold, with a discount and a points multiplier."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="levels",
                                 verbose_name=_("merchant"))
    program = models.ForeignKey(MembershipProgram, on_delete=models.CASCADE, related_name="levels",
                                verbose_name=_("programme"))
    name = models.CharField(_("name"), max_length=40)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the entry level; higher is better."))
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=2, default=Decimal("0"),
                                    validators=[MinValueValidator(Decimal("0"))],
                                    help_text=_("Cumulative experience or spend needed, as the programme says."))
    discount_percent = models.DecimalField(
        # xgettext:no-python-format
        _("member price (% of the bill)"), max_digits=5, decimal_places=2, default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal("1")), MaxValueValidator(Decimal("100"))],
        # xgettext:no-python-format
        help_text=_("95 means members of this level pay 95% of the bill."))
    points_multiplier = models.DecimalField(_("points multiplier"), max_digits=4, decimal_places=2,
                                            default=Decimal("1.00"), validators=[MinValueValidator(Decimal("0"))])
    benefits = models.TextField(_("benefits"), blank=True)

    class Meta:
        verbose_name = _("level")
        verbose_name_plural = _("levels")
        ordering = ["merchant", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "rank"], name="level_rank_unique_per_merchant"),
            models.CheckConstraint(condition=Q(discount_percent__gt=0) & Q(discount_percent__lte=100),
                                   name="level_discount_between_0_and_100"),
        ]

    def __str__(self):
        return self.name


class MembershipCard(models.Model):
    """A member's card: current level, points and experience. Balances change only through services."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="membership_cards",
                                 verbose_name=_("merchant"))
    member = models.OneToOneField("merchants.Member", on_delete=models.CASCADE, related_name="membership_card",
                                  verbose_name=_("member"))
    level = models.ForeignKey(Level, on_delete=models.PROTECT, null=True, blank=True, related_name="cards",
                              verbose_name=_("level"))
    points = models.IntegerField(_("points"), default=0)
    experience = models.IntegerField(_("experience"), default=0)
    total_spend = MoneyField(_("cumulative spend"), default=Decimal("0.00"))
    level_since = models.DateTimeField(_("level since"), null=True, blank=True,
                                       help_text=_("When the level was reached or last confirmed by a re-evaluation."))
    drop_warned_at = models.DateTimeField(_("level drop warning sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("membership card")
        verbose_name_plural = _("membership cards")
        permissions = [("adjust_points", _("Can adjust a member's points"))]
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=0), name="card_points_not_negative"),
            models.CheckConstraint(condition=Q(experience__gte=0), name="card_experience_not_negative"),
            models.CheckConstraint(condition=Q(total_spend__gte=0), name="card_total_spend_not_negative"),
        ]
        indexes = [models.Index(fields=["merchant", "level"])]

    def __str__(self):
        return f"{self.member} · {self.level or '—'}"


class PointsReason(models.TextChoices):
    OPENING = "opening", _("opening gift")
    PAYMENT = "payment", _("earned by a payment")
    RECHARGE = "recharge", _("earned by a recharge")
    COUPON_EXCHANGE = "coupon_exchange", _("exchanged for a coupon")
    POINTS_DEDUCTION = "points_deduction", _("paid part of a bill")
    POINTS_RETURNED = "points_returned", _("returned by a refund")
    REFUND_TAKEN_BACK = "refund_taken_back", _("taken back by a refund")
    ADJUSTMENT = "adjustment", _("adjusted by staff")
    EXPIRED = "expired", _("expired")
    GIFT = "gift", _("gift")


class ExperienceReason(models.TextChoices):
    PAYMENT = "payment", _("earned by a payment")
    RECHARGE = "recharge", _("earned by a recharge")
    REFUND_TAKEN_BACK = "refund_taken_back", _("taken back by a refund")
    ADJUSTMENT = "adjustment", _("adjusted by staff")
    GIFT = "gift", _("gift")


class PointsBucket(ValueLot):
    """Points of one card that expire on the same day (one bucket per expiry month, or one that never expires).

    Spending and expiry draw on the bucket that expires first (first earned, first spent, first expired);
    the sum of `remaining` over a card's buckets is its points balance.
    """

    expiry_field = "expires_on"

    # No index of its own: one per expiry day (card, expires_on) serves a card's buckets, and each index is
    # written again by every bucket a spend draws (issue 16: a heavy member's spend draws 50).
    card = models.ForeignKey(MembershipCard, on_delete=models.CASCADE, related_name="buckets",
                             verbose_name=_("card"), db_index=False)
    expires_on = models.DateField(_("expires at the end of"), null=True, blank=True,
                                  help_text=_("Empty: never expires."))
    earned = models.PositiveIntegerField(_("points earned"), default=0)
    remaining = models.PositiveIntegerField(_("points remaining"), default=0)
    expired = models.PositiveIntegerField(_("points expired"), default=0)
    warned_at = models.DateTimeField(_("expiry warning sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("points bucket")
        verbose_name_plural = _("points buckets")
        ordering = ["card", "expires_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["card", "expires_on"], name="points_bucket_one_per_expiry_day"),
            models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("earned")),
                                   name="points_bucket_remaining_in_range"),
        ]
        indexes = [
            # The expiry sweep, the warnings and the report ask for buckets with points left by day: a bucket a
            # spend empties leaves it (and is not written to it again).
            models.Index(fields=["expires_on"], condition=Q(remaining__gt=0), name="points_bucket_left_by_day"),
            # A spend reads the first buckets in spending order (loyalty.ledgers.lots_covering(first=)).
            models.Index(fields=["card", "expires_on", "id"], condition=Q(remaining__gt=0),
                         name="points_bucket_spend_order"),
        ]

    def __str__(self):
        return f"{self.card} · {self.remaining}/{self.earned} · {self.expires_on or '∞'}"


class CardLedgerEntry(LedgerEntry):
    """What every ledger entry of a card says besides the change: why in words (the rest is in LedgerEntry)."""

    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        abstract = True


class PointsEntry(CardLedgerEntry):
    """The append-only points ledger (积分明细): one row per change of a card's points."""

    # No index of the card or the merchant alone: the indexes below lead with each, and a payment writes two
    # entries or more.
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+", db_index=False,
                                 verbose_name=_("merchant"))
    card = models.ForeignKey(MembershipCard, on_delete=models.PROTECT, related_name="points_entries",
                             db_index=False, verbose_name=_("card"))
    delta = models.IntegerField(_("change"))
    balance_after = models.IntegerField(_("balance after"))
    reason = models.CharField(_("reason"), max_length=32, choices=PointsReason.choices)
    bucket = models.ForeignKey(PointsBucket, on_delete=models.PROTECT, null=True, blank=True, related_name="entries",
                               verbose_name=_("expiry bucket"))

    class Meta:
        verbose_name = _("points ledger entry")
        verbose_name_plural = _("points ledger entries")
        ordering = ["-created_at", "-pk"]
        constraints = entry_constraints("points_entry")
        # (merchant, created_at): the liability roll-forward's sums before and after its window and today's live
        # part of the kept points days read a merchant's entries by time.
        indexes = [models.Index(fields=["card", "-created_at", "-id"]), models.Index(fields=["merchant", "reason"]),
                   models.Index(fields=["merchant", "created_at"])]

    def __str__(self):
        return f"{self.get_reason_display()} {self.delta:+}"


class ExperienceEntry(CardLedgerEntry):
    """The append-only ledger of level progress (经验值): experience and the spend behind it.

    A payment moves both; a recharge or a gift only experience. Re-evaluated levels sum the last N days of it.
    """

    # No index of its own: the (card, created_at) index leads with it.
    card = models.ForeignKey(MembershipCard, on_delete=models.PROTECT, related_name="experience_entries",
                             db_index=False, verbose_name=_("card"))
    delta = models.IntegerField(_("experience change"), default=0)
    balance_after = models.IntegerField(_("experience after"))
    spend = MoneyField(_("spend change"), default=Decimal("0.00"))
    reason = models.CharField(_("reason"), max_length=32, choices=ExperienceReason.choices)

    class Meta:
        verbose_name = _("experience ledger entry")
        verbose_name_plural = _("experience ledger entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(delta=0) | ~Q(spend=0), name="experience_entry_not_empty"),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="experience_entry_balance_not_negative"),
        ]
        indexes = [models.Index(fields=["card", "created_at"])]

    def __str__(self):
        return f"{self.get_reason_display()} {self.delta:+}"


class PaymentEarning(models.Model):
    """What one payment earned (points, experience, spend): written once per payment reference."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    # No index of its own: the (card, reference) constraint's leads with it.
    card = models.ForeignKey(MembershipCard, on_delete=models.CASCADE, related_name="earnings", db_index=False,
                             verbose_name=_("card"))
    reference = models.CharField(_("payment reference"), max_length=64)
    paid_amount = MoneyField(_("amount paid"))
    points = models.PositiveIntegerField(_("points earned"), default=0)
    experience = models.PositiveIntegerField(_("experience earned"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment earning")
        verbose_name_plural = _("payment earnings")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["card", "reference"], name="payment_earning_once_per_reference"),
        ]

    def __str__(self):
        return f"{self.reference} +{self.points}"


class RefundTakeBack(TakeBack):
    """What one refund took back of a member's earnings, and the points they had already spent (shortfall)."""

    card = models.ForeignKey(MembershipCard, on_delete=models.CASCADE, related_name="take_backs",
                             verbose_name=_("card"))
    points = models.PositiveIntegerField(_("points taken back"), default=0)
    experience = models.PositiveIntegerField(_("experience taken back"), default=0)
    spend = MoneyField(_("spend taken back"), default=Decimal("0.00"))
    shortfall = models.PositiveIntegerField(_("points already spent"), default=0)

    class Meta:
        verbose_name = _("refund take-back")
        verbose_name_plural = _("refund take-backs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["card", "reference"], name="refund_take_back_once_per_reference"),
        ]

    def __str__(self):
        return f"{self.reference} −{self.points}"


class PointsKeptDay(models.Model):
    """A merchant's local day whose points ledger is summed in `PointsDay` (积分日汇总), built by
    `membership.tasks.keep_points_days`. Reports read kept days from there and every other day (today, a day not
    yet built) from the entries themselves, so a year answers fast and today is always up to date."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    day = models.DateField(_("day"))
    built_at = models.DateTimeField(_("built at"), default=timezone.now)

    class Meta:
        verbose_name = _("kept points day")
        verbose_name_plural = _("kept points days")
        constraints = [models.UniqueConstraint(fields=["merchant", "day"], name="points_kept_day_once")]

    def __str__(self):
        return f"{self.merchant_id} {self.day}"


class PointsDay(models.Model):
    """The points ledger of one kept day, one store (none for entries no store made) and one reason: the points
    its entries added and took (apart, as a reason such as a staff adjustment goes both ways) and their number."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    day = models.DateField(_("day"))
    # As the entries it sums: a store deleted leaves its figures, with no store, so kept and live readings agree.
    store = models.ForeignKey("merchants.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("store"))
    reason = models.CharField(_("reason"), max_length=32, choices=PointsReason.choices)
    added = models.BigIntegerField(_("points added"), default=0)
    taken = models.BigIntegerField(_("points taken"), default=0, help_text=_("Negative, as the ledger writes it."))
    count = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("points day")
        verbose_name_plural = _("points days")
        indexes = [models.Index(fields=["merchant", "day"])]

    def __str__(self):
        return f"{self.merchant_id} {self.day} {self.reason} {self.added:+} {self.taken:+}"
