"""Gift cards (礼品卡): face values and themes a merchant sells, the cards bought, their ledger, uses and transfers."""

from __future__ import annotations

from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty import codes
from loyalty.ledgers import LedgerEntry, entry_constraints
from loyalty.money import CENT, ZERO, MoneyField


class GiftCardSettings(models.Model):
    """A merchant's gift card rules: how often a card may be passed on, whether it may become stored value.
    The legal limits are the platform's
    settings (GIFT_CARD_* in loyalty/settings.py), the same for every merchant."""

    merchant = models.OneToOneField("merchants.Merchant", on_delete=models.CASCADE, related_name="gift_card_settings",
                                    verbose_name=_("merchant"))
    transfers_allowed = models.PositiveSmallIntegerField(
        _("times a card may be sent on"), default=1, validators=[MaxValueValidator(10)],
        help_text=_("0: cards cannot be sent to a friend."))
    move_to_stored_value = models.BooleanField(
        _("holders may move a balance into stored value"), default=False,
        help_text=_("The balance becomes stored value principal (not refundable); the card is then finished."))

    class Meta:
        verbose_name = _("gift card settings")
        verbose_name_plural = _("gift card settings")

    def __str__(self):
        return str(_("Gift card settings of %(merchant)s") % {"merchant": self.merchant})


class FaceValue(models.Model):
    """A face value (面值) a merchant sells: what the card holds, what it costs, how long it lasts, where it pays."""

    class Validity(models.TextChoices):
        NEVER = "never", _("never expires")
        FIXED_DATE = "fixed_date", _("until a fixed date")
        MONTHS = "months", _("N months from activation")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="gift_face_values",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=60)
    amount = MoneyField(_("amount on the card"), validators=[MinValueValidator(CENT)])
    price = MoneyField(_("price"), validators=[MinValueValidator(CENT)],
                       help_text=_("What the buyer pays; may be below the amount as a promotion."))
    validity = models.CharField(_("validity"), max_length=12, choices=Validity.choices, default=Validity.NEVER)
    valid_until = models.DateField(_("valid until (inclusive)"), null=True, blank=True)
    valid_months = models.PositiveSmallIntegerField(_("valid for months"), null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(240)])
    stores = models.ManyToManyField("merchants.Store", blank=True, related_name="+", verbose_name=_("stores"),
                                    help_text=_("Where the card can be spent; none chosen: every store."))
    needs_phone = models.BooleanField(
        _("activation needs the holder's phone"), default=False,
        help_text=_("A card activated with a phone is a named card; otherwise it is active as soon as it is "
                    "received."))
    is_active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("gift card face value")
        verbose_name_plural = _("gift card face values")
        ordering = ["amount", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="gift_face_value_amount_positive"),
            models.CheckConstraint(condition=Q(price__gt=0, price__lte=F("amount")),
                                   name="gift_face_value_price_within_amount"),
        ]

    def __str__(self):
        return f"{self.name} ({self.amount})"


class Theme(models.Model):
    """A gift card theme (主题): a cover and a greeting, and the face values it shows (only those can be bought)."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="gift_themes",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=60)
    cover = models.FileField(_("cover image"), upload_to="giftcards/themes/", blank=True,
                             validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp", "gif"])])
    greeting = models.CharField(_("greeting"), max_length=200, blank=True)
    face_values = models.ManyToManyField(FaceValue, blank=True, related_name="themes",
                                         verbose_name=_("face values shown"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("shown"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("gift card theme")
        verbose_name_plural = _("gift card themes")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name


class GiftCardPurchase(models.Model):
    """One purchase (购卡) of one or several cards of a face value from a theme, through the payment gateway.

    A sale is final: nothing here refunds it (`services.refuse_sale_refund` says so to whoever asks).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for payment")
        PAID = "paid", _("paid, cards issued")
        FAILED = "failed", _("payment failed")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    buyer = models.ForeignKey("merchants.Member", on_delete=models.PROTECT, related_name="gift_card_purchases",
                              verbose_name=_("buyer"))
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("theme"))
    face_value = models.ForeignKey(FaceValue, on_delete=models.PROTECT, related_name="purchases",
                                   verbose_name=_("face value"))
    quantity = models.PositiveSmallIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = MoneyField(_("unit price"))
    total = MoneyField(_("total paid"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    payment = models.OneToOneField("loyalty.GatewayPayment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="gift_card_purchase", verbose_name=_("payment"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("gift card purchase")
        verbose_name_plural = _("gift card purchases")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="gift_purchase_quantity_positive"),
            models.CheckConstraint(condition=Q(total__gt=0), name="gift_purchase_total_positive"),
        ]

    def __str__(self):
        return f"{self.face_value} × {self.quantity}"


class GiftCard(models.Model):
    """A gift card (礼品卡): its code, its balance and where it stands. Its balance moves only through its ledger.

    Sending a card to a friend ends this card (status "sent") and issues the friend a new one with a new code
    (`previous`), so the code the sender saw never works again.
    """

    class Status(models.TextChoices):
        NOT_ACTIVATED = "not_activated", _("not activated")
        RECEIVED = "received", _("received, not activated")
        ACTIVE = "active", _("active")
        MOVED = "moved", _("moved into stored value")
        SENDING = "sending", _("being sent")
        SENT = "sent", _("sent")
        USED_UP = "used_up", _("used up")
        EXPIRED = "expired", _("expired")
        VOID = "void", _("void")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="gift_cards",
                                 verbose_name=_("merchant"))
    code = models.CharField(_("code"), max_length=codes.CODE_LENGTH, unique=True, default=codes.new_code,
                            editable=False)
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="cards", verbose_name=_("theme"))
    face_value = models.ForeignKey(FaceValue, on_delete=models.PROTECT, related_name="cards",
                                   verbose_name=_("face value"))
    purchase = models.ForeignKey(GiftCardPurchase, on_delete=models.PROTECT, related_name="cards",
                                 verbose_name=_("purchase"))
    previous = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="next",
                                    verbose_name=_("sent on from"))
    holder = models.ForeignKey("merchants.Member", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="gift_cards", verbose_name=_("holder"))
    holder_phone = models.CharField(_("activated with phone"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, db_index=True)
    initial_amount = MoneyField(_("amount when issued"))
    balance = MoneyField(_("balance"), default=ZERO)
    transfers = models.PositiveSmallIntegerField(_("times sent on"), default=0)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True,
                                      help_text=_("Empty: never expires (named cards never do)."))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("gift card")
        verbose_name_plural = _("gift cards")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="gift_card_balance_not_negative"),
            models.CheckConstraint(condition=Q(balance__lte=F("initial_amount")),
                                   name="gift_card_balance_within_amount"),
        ]
        indexes = [models.Index(fields=["merchant", "status"]), models.Index(fields=["holder", "status"])]

    def __str__(self):
        return f"{self.face_value.name} ····{self.code[-4:]}"

    @property
    def display_code(self) -> str:
        return codes.display(self.code)

    @property
    def masked_code(self) -> str:
        """What a receipt or a list shows: only the last characters (the full code is the money)."""
        return f"····{self.code[-4:]}"


class GiftCardEntry(LedgerEntry):
    """The append-only gift card ledger (礼品卡流水): one row per change of one card's balance."""

    class Reason(models.TextChoices):
        ISSUED = "issued", _("issued (bought)")
        PAYMENT = "payment", _("paid a bill")
        PAYMENT_REFUND = "payment_refund", _("bill refunded")
        SENT_ON = "sent_on", _("sent to a friend")
        RECEIVED = "received", _("received from a friend")
        EXPIRED = "expired", _("expired")
        VOIDED = "voided", _("voided")
        MOVED = "moved", _("moved into stored value")

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="entries", verbose_name=_("gift card"))
    delta = MoneyField(_("change"))
    balance_after = MoneyField(_("balance after"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)

    class Meta:
        verbose_name = _("gift card ledger entry")
        verbose_name_plural = _("gift card ledger entries")
        ordering = ["-created_at", "-pk"]
        constraints = entry_constraints("gift_card_entry")
        indexes = [models.Index(fields=["card", "-created_at", "-id"]), models.Index(fields=["merchant", "reason"])]

    def __str__(self):
        return f"{self.get_reason_display()} {self.delta:+}"


class GiftCardUse(models.Model):
    """What one card paid of one bill (礼品卡核销), and how much of it a refund has given back."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="uses", verbose_name=_("gift card"))
    reference = models.CharField(_("payment"), max_length=64)
    store = models.ForeignKey("merchants.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("store"))
    amount = MoneyField(_("amount paid"))
    refunded = MoneyField(_("refunded"), default=ZERO)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("gift card use")
        verbose_name_plural = _("gift card uses")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["card", "reference"], name="gift_card_used_once_per_payment"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="gift_card_use_amount_positive"),
            models.CheckConstraint(condition=Q(refunded__gte=0, refunded__lte=F("amount")),
                                   name="gift_card_use_refund_within_amount"),
        ]
        indexes = [models.Index(fields=["merchant", "reference"])]

    def __str__(self):
        return f"{self.card} {self.amount}"


class GiftCardTransfer(models.Model):
    """A card being sent to a friend (转赠) by a link: claimed once, or taken back by the sender while open."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for the friend")
        CLAIMED = "claimed", _("claimed")
        TAKEN_BACK = "taken_back", _("taken back")
        ENDED = "ended", _("ended (card expired or voided)")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="transfers_out",
                             verbose_name=_("gift card"))
    sender = models.ForeignKey("merchants.Member", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("sender"))
    token = models.CharField(_("link token"), max_length=43, unique=True)
    greeting = models.CharField(_("greeting"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    status_before = models.CharField(_("card status before"), max_length=16, choices=GiftCard.Status.choices)
    receiver = models.ForeignKey("merchants.Member", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("receiver"))
    new_card = models.OneToOneField(GiftCard, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("receiver's card"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("gift card transfer")
        verbose_name_plural = _("gift card transfers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["card"], condition=Q(status="open"), name="gift_card_one_open_transfer"),
            models.UniqueConstraint(fields=["card"], condition=Q(status="claimed"),
                                    name="gift_card_claimed_once"),
        ]

    def __str__(self):
        return f"{self.card} → {self.receiver or '…'}"
