"""Plumbing tables: stored API responses for idempotency, the outbox of messages sent, gateway payments and
the events that are each object's history."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyRecord(models.Model):
    """The first response to a request carrying an Idempotency-Key, replayed to its retries."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("in flight")
        COMPLETED = "completed", _("completed")

    scope = models.CharField(_("scope"), max_length=64, help_text=_("Who sent the key, e.g. terminal:12."))
    key = models.CharField(_("key"), max_length=255)
    request_hash = models.CharField(_("request hash"), max_length=64)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.IN_FLIGHT)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_once_per_scope")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"{self.scope} {self.key}"


class OutboxMessage(models.Model):
    """Every message the platform sends, on any channel, kept so staff can see what went out and when.

    `recipient` is what the channel addresses: a phone for SMS, an openid for WeChat, a user id for
    Alipay, the member's id for the in-page inbox. A message with `not_before` in the future waits
    (quiet hours); `member` links it to the member page's inbox and to campaign effect.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        WECHAT_TEMPLATE = "wechat_template", _("WeChat template message")
        WECHAT_SUBSCRIPTION = "wechat_subscription", _("WeChat subscription message")
        ALIPAY = "alipay", _("Alipay message")
        INBOX = "inbox", _("member inbox")

    class Kind(models.TextChoices):
        LOGIN_CODE = "login_code", _("login code")
        NOTICE = "notice", _("notice")
        MARKETING = "marketing", _("marketing")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="outbox_messages",
                                 verbose_name=_("merchant"))
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices, default=Channel.SMS)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NOTICE)
    member = models.ForeignKey("merchants.Member", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="outbox_messages", verbose_name=_("member"))
    recipient = models.CharField(_("recipient"), max_length=64)
    title = models.CharField(_("title"), max_length=120, blank=True)
    body = models.TextField(_("body"))
    link = models.CharField(_("link"), max_length=500, blank=True)
    not_before = models.DateTimeField(_("not before"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_reference = models.CharField(_("provider reference"), max_length=128, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["merchant", "recipient", "-created_at"]),
                   models.Index(fields=["member", "channel", "-created_at"]),
                   models.Index(fields=["status", "not_before"])]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient}"


class GatewayPayment(models.Model):
    """A payment a member makes through the payment gateway (支付网关), named for the purpose it fulfils.

    The app that owns the purpose (a recharge, a coupon purchase) registers the handler that fulfils
    it; the gateway's signed callback marks the payment paid exactly once and runs that handler in the
    same transaction (loyalty.payments).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for payment")
        PAID = "paid", _("paid")
        FAILED = "failed", _("failed")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="gateway_payments",
                                 verbose_name=_("merchant"))
    member = models.ForeignKey("merchants.Member", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="gateway_payments", verbose_name=_("member"))
    store = models.ForeignKey("merchants.Store", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("store"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    purpose = models.CharField(_("purpose"), max_length=40, help_text=_("What the payment buys, e.g. recharge."))
    reference = models.CharField(_("reference"), max_length=64, blank=True,
                                 help_text=_("The row of the purpose's app this payment is for."))
    subject = models.CharField(_("subject"), max_length=128, blank=True)
    gateway = models.CharField(_("gateway"), max_length=32)
    out_trade_no = models.CharField(_("our trade number"), max_length=64, unique=True)
    gateway_trade_no = models.CharField(_("gateway trade number"), max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    return_url = models.CharField(_("return address"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("gateway payment")
        verbose_name_plural = _("gateway payments")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="gateway_payment_amount_positive"),
            models.UniqueConstraint(fields=["gateway", "gateway_trade_no"], condition=~models.Q(gateway_trade_no=""),
                                    name="gateway_trade_no_once"),
        ]
        indexes = [models.Index(fields=["merchant", "purpose", "reference"])]

    def __str__(self):
        return self.out_trade_no


class Event(models.Model):
    """Something that happened to one of a merchant's objects that no ledger records: a coupon voided or
    gifted, a template paused, a rule or a setting changed, and who did it.

    Written by the typed event functions of the app that owns the object (`coupons.events.coupon_voided`),
    in the transaction of the change, so an event exists exactly when its change does. Rows are never
    changed or deleted: they are the object's history in the admin and the outbox outgoing webhooks will
    deliver from (`uuid` is the id a receiver deduplicates on; `payload()` is what it is sent).
    """

    uuid = models.UUIDField(_("event id"), default=uuid.uuid4, unique=True, editable=False)
    # No index of its own (nor the object type's): the indexes below lead with it, and a payment writes two events.
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="events",
                                 db_index=False, verbose_name=_("merchant"))
    kind = models.CharField(_("kind"), max_length=64, help_text=_("What happened, e.g. coupon.voided."))
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False,
                                     verbose_name=_("object type"))
    object_id = models.PositiveBigIntegerField(_("object id"))
    subject = GenericForeignKey("content_type", "object_id")
    sequence = models.PositiveIntegerField(
        _("sequence"), default=1,
        help_text=_("1 for the object's first event, then 2, 3...: receivers order one object's events by it."))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("staff"))
    terminal = models.ForeignKey("merchants.Terminal", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminal"))
    member = models.ForeignKey("merchants.Member", on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", verbose_name=_("member"))
    data = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder,
                            help_text=_("What changed (field: [before, after]), the reason, the objects involved."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-created_at", "-pk"]
        # Not about events: the one permission that says who reads the business's figures (totals, rates,
        # liabilities, performance columns and charts) and takes its lists home as files. Owners and managers
        # hold it, cashiers do not (merchants.roles gives every role its platform permissions).
        permissions = [("view_figures", _("Can see figures and reports and export lists"))]
        indexes = [
            models.Index(fields=["content_type", "object_id", "created_at"], name="event_subject_history"),
            models.Index(fields=["merchant", "-created_at"], name="event_merchant_recent"),
            models.Index(fields=["content_type", "object_id", "sequence"], name="event_subject_sequence"),
        ]

    def __str__(self):
        return f"{self.kind} #{self.object_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("events are append-only: record a new event instead of changing one")
        super().save(*args, **kwargs)

    def payload(self) -> dict:
        """The event as an outgoing webhook will send it: plain JSON types, stable ids."""
        return {
            "id": str(self.uuid), "kind": self.kind, "merchant": self.merchant_id,
            "created_at": self.created_at.isoformat(),
            "subject": {"type": f"{self.content_type.app_label}.{self.content_type.model}", "id": self.object_id,
                        "sequence": self.sequence},
            "staff": self.staff_id, "terminal": self.terminal_id, "member": self.member_id, "data": self.data,
        }
