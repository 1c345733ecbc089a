"""Time cards (时长卡): a pass for a period — a week, a month, a season — with a daily limit and start rules.

Each purchase is one `TimeCard` with its own period. Buying again while one is valid chains the new period
to the end of the last one (5 days left + a 30-day card = 35 days left); after it lapsed, it starts afresh.
Days are the merchant's days (its time zone), and both ends of a period are days the card is valid on.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.benefits import BenefitLine
from loyalty.money import ZERO, MoneyField

# Identity photos are never served from a public address: only the member and the merchant's staff see them,
# through views that check who asks.
private_storage = FileSystemStorage(location=settings.VAR_DIR / "private", base_url=None)


def identity_photo_storage() -> FileSystemStorage:
    """A callable, so migrations name it instead of writing this checkout's path into them."""
    return private_storage

PHOTO_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]
MAX_PHOTO_BYTES = 5 * 1024 * 1024


class RefundPolicy(models.TextChoices):
    NONE = "none", _("no refund")
    PRO_RATA = "pro_rata", _("unused part, pro rata")


class TimeCardSettings(models.Model):
    """A merchant's time card settings (时长卡设置): refunds, the identity check, undoing a use."""

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE,
                                    related_name="time_card_settings", verbose_name=_("merchant"))
    refund_policy = models.CharField(_("refund of a card bought"), max_length=10, choices=RefundPolicy.choices,
                                     default=RefundPolicy.PRO_RATA)
    identity_check = models.BooleanField(_("identity check (photo)"), default=False, help_text=_(
        "Members upload a photo after buying; the cashier confirms the person matches at every use."))
    undo_minutes = models.PositiveIntegerField(_("a use may be undone within (minutes)"), default=30)

    class Meta:
        verbose_name = _("time card settings")
        verbose_name_plural = _("time card settings")

    def __str__(self):
        return str(_("time card settings"))


class TimeCardProduct(models.Model):
    """A kind of pass a merchant offers (时长卡), e.g. the swimming pass, sold in tiers (week, month, season)."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="time_card_products",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=60)
    cover = models.CharField(_("cover picture address"), max_length=300, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    stores = models.ManyToManyField("merchants.Store", blank=True, related_name="+", verbose_name=_("stores"),
                                    help_text=_("Where it can be used; none chosen: every store."))
    on_sale = models.BooleanField(_("on sale to members"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("time card product")
        verbose_name_plural = _("time card products")
        ordering = ["merchant", "name", "pk"]

    def __str__(self):
        return self.name


class StartRule(models.TextChoices):
    FIRST_USE = "first_use", _("on the first use")
    PURCHASE = "purchase", _("at purchase")
    DAYS_AFTER = "days_after", _("N days after purchase")


class TimeCardTier(models.Model):
    """One tier of a time card (a week card, a month card): its days, price, daily limit and when it starts."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    product = models.ForeignKey(TimeCardProduct, on_delete=models.CASCADE, related_name="tiers",
                                verbose_name=_("time card product"))
    name = models.CharField(_("name"), max_length=60)
    days = models.PositiveIntegerField(_("days"))
    price = MoneyField(_("price"))
    daily_limit = models.PositiveIntegerField(_("uses a day"), null=True, blank=True,
                                              help_text=_("Empty: no daily limit."))
    start_rule = models.CharField(_("starts"), max_length=12, choices=StartRule.choices, default=StartRule.FIRST_USE)
    start_after_days = models.PositiveIntegerField(_("days after purchase"), default=0)
    activate_by = models.DateField(_("must be activated by"), null=True, blank=True,
                                   help_text=_("A card not used by then starts on that day."))
    on_sale = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("time card tier")
        verbose_name_plural = _("time card tiers")
        ordering = ["product", "days", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(days__gt=0), name="timecards_tier_days_positive"),
            models.CheckConstraint(condition=Q(price__gte=0), name="timecards_tier_price_not_negative"),
            models.CheckConstraint(condition=Q(daily_limit__isnull=True) | Q(daily_limit__gt=0),
                                   name="timecards_tier_daily_limit_positive"),
        ]

    def __str__(self):
        return f"{self.product} · {self.name}"


class TimeCardProductBenefit(BenefitLine):
    """What a member is given with a card bought, taken back if the card is refunded."""

    owner_field = "product"
    product = models.ForeignKey(TimeCardProduct, on_delete=models.CASCADE, related_name="benefits",
                                verbose_name=_("time card product"))

    class Meta(BenefitLine.Meta):
        verbose_name = _("gift with a card bought")
        verbose_name_plural = _("gifts with a card bought")


class TimeCardChain(models.Model):
    """The one row per member and product that every change of the member's periods locks first, so periods
    bought at the same moment are still placed end to end (the cards themselves may not exist yet)."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    member = models.ForeignKey("merchants.Member", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("member"))
    product = models.ForeignKey(TimeCardProduct, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("time card product"))

    class Meta:
        verbose_name = _("time card chain")
        verbose_name_plural = _("time card chains")
        constraints = [models.UniqueConstraint(fields=["member", "product"], name="timecards_chain_once")]

    def __str__(self):
        return f"{self.member_id} · {self.product_id}"


class TimeCard(models.Model):
    """One period a member bought or was given (持有的时长卡). `starts_on`/`ends_on` are empty while it waits
    for its first use (or for the period before it to be placed)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for payment")
        ACTIVE = "active", _("active")
        FAILED = "failed", _("payment failed")
        VOID = "void", _("void")

    class Source(models.TextChoices):
        PURCHASE = "purchase", _("bought online")
        CASH_SALE = "cash_sale", _("sold at the counter")
        BENEFIT = "benefit", _("given as a benefit")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="time_cards",
                                 verbose_name=_("merchant"))
    product = models.ForeignKey(TimeCardProduct, on_delete=models.PROTECT, related_name="cards",
                                verbose_name=_("time card product"))
    tier = models.ForeignKey(TimeCardTier, on_delete=models.PROTECT, related_name="cards", verbose_name=_("tier"))
    member = models.ForeignKey("merchants.Member", on_delete=models.PROTECT, related_name="time_cards",
                               verbose_name=_("member"))
    store = models.ForeignKey("merchants.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("store sold at"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    days = models.PositiveIntegerField(_("days"))
    price_paid = MoneyField(_("price paid"), default=ZERO)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    payment = models.OneToOneField("loyalty.GatewayPayment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="time_card", verbose_name=_("payment"))
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    given = models.JSONField(_("gifts given with it"), default=list, blank=True)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("sold by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    refunded_amount = MoneyField(_("refunded"), default=ZERO)

    class Meta:
        verbose_name = _("time card")
        verbose_name_plural = _("time cards")
        ordering = ["-pk"]
        permissions = [("use_timecard", _("Can record a use of a time card")),
                       ("undo_timecarduse", _("Can undo a use of a time card")),
                       ("refund_timecard", _("Can refund a time card"))]
        constraints = [
            models.CheckConstraint(condition=Q(days__gt=0), name="timecards_card_days_positive"),
            models.CheckConstraint(condition=Q(price_paid__gte=0), name="timecards_card_price_not_negative"),
            models.CheckConstraint(condition=Q(starts_on__isnull=True, ends_on__isnull=True)
                                   | Q(starts_on__isnull=False, ends_on__gte=models.F("starts_on")),
                                   name="timecards_card_period"),
            models.UniqueConstraint(fields=["member", "reference"], condition=Q(source="benefit"),
                                    name="timecards_card_benefit_once"),
        ]
        indexes = [models.Index(fields=["member", "product", "status"])]

    def __str__(self):
        return f"{self.tier} #{self.pk}"


class TimeCardUse(models.Model):
    """One visit on a time card (核销): the day it counts on (the merchant's), who checked the person."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    card = models.ForeignKey(TimeCard, on_delete=models.PROTECT, related_name="card_uses", verbose_name=_("time card"))
    product = models.ForeignKey(TimeCardProduct, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("time card product"))
    member = models.ForeignKey("merchants.Member", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("member"))
    store = models.ForeignKey("merchants.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    used_on = models.DateField(_("day"))
    used_at = models.DateTimeField(_("used at"), default=timezone.now)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("recorded by"))
    terminal = models.ForeignKey("merchants.Terminal", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminal"))
    identity_confirmed = models.BooleanField(_("identity confirmed"), default=False)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+", verbose_name=_("undone by"))

    class Meta:
        verbose_name = _("time card use")
        verbose_name_plural = _("time card uses")
        ordering = ["-used_at", "-pk"]
        indexes = [models.Index(fields=["member", "product", "used_on"])]

    def __str__(self):
        return f"{self.card} · {self.used_on}"


class IdentityPhoto(models.Model):
    """The photo the cashier compares with the person (身份验证): one per member and product, private."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    member = models.ForeignKey("merchants.Member", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("member"))
    product = models.ForeignKey(TimeCardProduct, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("time card product"))
    image = models.FileField(_("photo"), storage=identity_photo_storage, upload_to="identity/%Y/%m/",
                             validators=[FileExtensionValidator(PHOTO_EXTENSIONS)])
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("added by staff"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("identity photo")
        verbose_name_plural = _("identity photos")
        constraints = [models.UniqueConstraint(fields=["member", "product"], name="timecards_photo_once")]

    def __str__(self):
        return f"{self.member} · {self.product}"
