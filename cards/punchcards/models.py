"""Punch cards (次卡): N uses of a service, bought or given, shared with co-users, used at the counter.

A card's remaining uses are a balance behind an append-only ledger (`PunchCardEntry`, loyalty.ledgers):
every change goes through cards.punchcards.services, which lock the card row and write the entry in the
same transaction. Unused uses of a paid card are a prepaid liability, the price paid ÷ uses each.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.benefits import BenefitLine
from loyalty.ledgers import LedgerEntry, entry_constraints
from loyalty.money import MoneyField, quantize

ZERO = Decimal("0.00")


class RefundPolicy(models.TextChoices):
    NONE = "none", _("no refund")
    PRO_RATA = "pro_rata", _("unused part, pro rata")


class PunchCardSettings(models.Model):
    """A merchant's punch card settings (次卡设置): refunds and how long a use may be undone."""

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE,
                                    related_name="punch_card_settings", verbose_name=_("merchant"))
    refund_policy = models.CharField(_("refund of a card bought"), max_length=10, choices=RefundPolicy.choices,
                                     default=RefundPolicy.PRO_RATA)
    undo_minutes = models.PositiveIntegerField(_("a use may be undone within (minutes)"), default=30)

    class Meta:
        verbose_name = _("punch card settings")
        verbose_name_plural = _("punch card settings")

    def __str__(self):
        return str(_("punch card settings"))


class Validity(models.TextChoices):
    FIXED = "fixed", _("fixed dates")
    FROM_PURCHASE = "from_purchase", _("N days from purchase")
    FROM_FIRST_USE = "from_first_use", _("N days from the first use")


class PunchCardProduct(models.Model):
    """A punch card a merchant offers (次卡): what it covers, how many uses, its price and validity."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="punch_card_products",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=60)
    cover = models.CharField(_("cover picture address"), max_length=300, blank=True)
    services = models.CharField(_("services it covers"), max_length=200,
                                help_text=_("e.g. wash and blow-dry; several separated by commas"))
    uses = models.PositiveIntegerField(_("number of uses"), null=True, blank=True,
                                       help_text=_("Empty: unlimited uses while the card is valid."))
    price = MoneyField(_("price"))
    validity = models.CharField(_("validity"), max_length=16, choices=Validity.choices,
                                default=Validity.FROM_PURCHASE)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("valid days"), null=True, blank=True)
    stores = models.ManyToManyField("merchants.Store", blank=True, related_name="+", verbose_name=_("stores"),
                                    help_text=_("Where it can be used; none chosen: every store."))
    on_sale = models.BooleanField(_("on sale to members"), default=True)
    per_member_limit = models.PositiveIntegerField(_("most one member may hold"), null=True, blank=True)
    co_user_limit = models.PositiveIntegerField(_("most co-users per card"), default=0,
                                                help_text=_("0: the card cannot be shared."))
    per_co_user_uses = models.PositiveIntegerField(_("most uses per co-user"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("punch card product")
        verbose_name_plural = _("punch card products")
        ordering = ["merchant", "name", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="punchcards_product_price_not_negative"),
            models.CheckConstraint(condition=Q(uses__isnull=True) | Q(uses__gt=0), name="punchcards_product_uses"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.validity == Validity.FIXED:
            if not self.valid_from or not self.valid_until:
                raise ValidationError({"valid_until": _("Give the first and the last day of validity.")})
            if self.valid_until < self.valid_from:
                raise ValidationError({"valid_until": _("The last day must not come before the first.")})
        elif not self.valid_days:
            raise ValidationError({"valid_days": _("Give the number of days the card is valid.")})
        if self.uses is None and self.validity == Validity.FROM_FIRST_USE and not self.valid_days:
            raise ValidationError({"valid_days": _("An unlimited card needs a validity.")})

    @property
    def unit_price(self) -> Decimal | None:
        """What one use is worth (price ÷ uses); None for an unlimited card."""
        return quantize(self.price / self.uses) if self.uses else None


class PunchCardProductBenefit(BenefitLine):
    """What a member is given with a card bought (points, a coupon ...), taken back if the card is refunded."""

    owner_field = "product"
    product = models.ForeignKey(PunchCardProduct, on_delete=models.CASCADE, related_name="benefits",
                                verbose_name=_("punch card product"))

    class Meta(BenefitLine.Meta):
        verbose_name = _("gift with a card bought")
        verbose_name_plural = _("gifts with a card bought")


class PunchCardHolding(models.Model):
    """The one row per member and product that getting a card locks first, so two purchases at the same moment
    cannot both pass the product's holding limit (the cards themselves may not exist yet)."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    member = models.ForeignKey("merchants.Member", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("member"))
    product = models.ForeignKey(PunchCardProduct, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("punch card product"))

    class Meta:
        verbose_name = _("punch card holding")
        verbose_name_plural = _("punch card holdings")
        constraints = [models.UniqueConstraint(fields=["member", "product"], name="punchcards_holding_once")]

    def __str__(self):
        return f"{self.member_id} · {self.product_id}"


class PunchCard(models.Model):
    """One punch card a member holds (持有的次卡). `uses_left` is its balance, moved only with a ledger entry."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for payment")
        ACTIVE = "active", _("active")
        FAILED = "failed", _("payment failed")
        VOID = "void", _("void")

    class Source(models.TextChoices):
        PURCHASE = "purchase", _("bought online")
        CASH_SALE = "cash_sale", _("sold at the counter")
        BENEFIT = "benefit", _("given as a benefit")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="punch_cards",
                                 verbose_name=_("merchant"))
    product = models.ForeignKey(PunchCardProduct, on_delete=models.PROTECT, related_name="cards",
                                verbose_name=_("punch card product"))
    member = models.ForeignKey("merchants.Member", on_delete=models.PROTECT, related_name="punch_cards",
                               verbose_name=_("member"))
    store = models.ForeignKey("merchants.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("store sold at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    unlimited = models.BooleanField(_("unlimited uses"), default=False)
    uses_total = models.PositiveIntegerField(_("uses bought or given"), default=0)
    uses_left = models.PositiveIntegerField(_("uses left"), default=0)
    uses_count = models.PositiveIntegerField(_("times used"), default=0)
    price_paid = MoneyField(_("price paid"), default=ZERO)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    payment = models.OneToOneField("loyalty.GatewayPayment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="punch_card", verbose_name=_("payment"))
    reference = models.CharField(_("reference"), max_length=64, blank=True,
                                 help_text=_("What gave the card: a payment or a benefit's reference."))
    given = models.JSONField(_("gifts given with it"), default=list, blank=True)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("sold by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    first_used_at = models.DateTimeField(_("first used at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    refunded_amount = MoneyField(_("refunded"), default=ZERO)

    class Meta:
        verbose_name = _("punch card")
        verbose_name_plural = _("punch cards")
        ordering = ["-pk"]
        permissions = [("use_punchcard", _("Can record a use of a punch card")),
                       ("undo_punchcarduse", _("Can undo a use of a punch card")),
                       ("refund_punchcard", _("Can refund a punch card"))]
        constraints = [
            models.CheckConstraint(condition=Q(uses_left__gte=0), name="punchcards_card_uses_left_not_negative"),
            models.CheckConstraint(condition=Q(uses_left__lte=models.F("uses_total")),
                                   name="punchcards_card_uses_left_at_most_total"),
            models.CheckConstraint(condition=Q(price_paid__gte=0), name="punchcards_card_price_not_negative"),
            models.UniqueConstraint(fields=["member", "reference"], condition=Q(source="benefit"),
                                    name="punchcards_card_benefit_once"),
        ]
        indexes = [models.Index(fields=["member", "status"]), models.Index(fields=["merchant", "product", "status"])]

    def __str__(self):
        return f"{self.product} #{self.pk}"


class CoUser(models.Model):
    """A family member or friend the holder shares the card with (一卡多用), by phone."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    card = models.ForeignKey(PunchCard, on_delete=models.CASCADE, related_name="co_users",
                             verbose_name=_("punch card"))
    phone = models.CharField(_("phone"), max_length=20)
    name = models.CharField(_("name"), max_length=40, blank=True)
    uses_count = models.PositiveIntegerField(_("times used"), default=0)
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("co-user")
        verbose_name_plural = _("co-users")
        ordering = ["added_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["card", "phone"], name="punchcards_co_user_once")]

    def __str__(self):
        return f"{self.name or self.phone}"


class PunchCardUse(models.Model):
    """One use (核销) of a card at a store: who used it, how many uses, who recorded it; undone at most once."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    card = models.ForeignKey(PunchCard, on_delete=models.PROTECT, related_name="card_uses",
                             verbose_name=_("punch card"))
    product = models.ForeignKey(PunchCardProduct, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("punch card product"))
    member = models.ForeignKey("merchants.Member", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("holder"))
    co_user = models.ForeignKey(CoUser, on_delete=models.PROTECT, null=True, blank=True, related_name="card_uses",
                                verbose_name=_("used by co-user"))
    count = models.PositiveIntegerField(_("uses"), default=1)
    store = models.ForeignKey("merchants.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("recorded by"))
    terminal = models.ForeignKey("merchants.Terminal", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminal"))
    used_at = models.DateTimeField(_("used at"), default=timezone.now, db_index=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("undone by"))

    class Meta:
        verbose_name = _("punch card use")
        verbose_name_plural = _("punch card uses")
        ordering = ["-used_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(count__gt=0), name="punchcards_use_count_positive")]

    def __str__(self):
        return f"{self.card} · {self.count}"

    @property
    def used_by(self) -> str:
        return str(self.co_user) if self.co_user_id else str(_("holder"))


class PunchCardEntry(LedgerEntry):
    """One change of a card's remaining uses (append-only)."""

    class Reason(models.TextChoices):
        ISSUE = "issue", _("card issued")
        USE = "use", _("used")
        UNDO = "undo", _("use undone")
        REFUND = "refund", _("card refunded")
        TAKE_BACK = "take_back", _("taken back on a refund")
        VOID = "void", _("card voided")

    card = models.ForeignKey(PunchCard, on_delete=models.PROTECT, related_name="entries",
                             verbose_name=_("punch card"))
    delta = models.IntegerField(_("change"))
    balance_after = models.IntegerField(_("uses left after"))
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    use = models.ForeignKey(PunchCardUse, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                            verbose_name=_("use"))

    class Meta:
        verbose_name = _("punch card ledger entry")
        verbose_name_plural = _("punch card ledger entries")
        ordering = ["-created_at", "-pk"]
        constraints = entry_constraints("punchcards_entry")
