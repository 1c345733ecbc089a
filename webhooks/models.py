"""Outgoing webhooks: where a merchant's systems (ERP, CRM, suppliers) want to hear of events, and every
delivery and attempt made to them.

An event (`loyalty.models.Event`) is written in the transaction of its change; in that same transaction
each subscribed endpoint gets a `Delivery` holding the exact body it will be sent, so a rolled-back change
sends nothing, a committed one is never lost, and every attempt sends the same id and the same bytes.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.events import kind_label


class Endpoint(models.Model):
    """An address a merchant subscribed to some kinds of events (Webhook 订阅端点).

    The signing secret is shown to the owner once, when it is made; during a rotation the previous one
    signs too until `previous_secret_until`, so a receiver can switch without losing a message.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        DISABLED = "disabled", _("disabled (kept failing)")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="webhook_endpoints",
                                 verbose_name=_("merchant"))
    url = models.URLField(_("URL"), max_length=500, help_text=_("A public http(s) address of your system."))
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("event types"), default=list, blank=True,
                                   help_text=_("The kinds of events sent to this address."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE,
                              help_text=_("A paused endpoint keeps its events and receives them when resumed."))
    secret = models.CharField(_("signing secret"), max_length=80, editable=False)
    previous_secret = models.CharField(_("previous signing secret"), max_length=80, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(_("previous secret valid until"), null=True, blank=True)
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True,
                                         help_text=_("The first failed attempt since the last success."))
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    circuit_open_until = models.DateTimeField(
        _("resting until"), null=True, blank=True,
        help_text=_("After several failures in a row nothing is sent to this address until then."))
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["merchant", "pk"]

    def __str__(self):
        return self.description or self.url


class Delivery(models.Model):
    """One event to one endpoint (投递): its frozen body, where it stands, and when it is tried next."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("delivered")
        FAILED = "failed", _("failed")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 verbose_name=_("endpoint"))
    event = models.ForeignKey("loyalty.Event", on_delete=models.CASCADE, related_name="+", verbose_name=_("event"))
    kind = models.CharField(_("kind"), max_length=64)
    body = models.TextField(_("body"), help_text=_("Exactly the bytes every attempt sends."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    retries_used = models.PositiveSmallIntegerField(_("retries used"), default=0,
                                                    help_text=_("Since it was queued or last replayed."))
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last response status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]
        indexes = [
            models.Index(fields=["endpoint", "status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["merchant", "-created_at"], name="webhook_delivery_recent"),
        ]

    def __str__(self):
        return f"{kind_label(self.kind)} #{self.pk}"


class DeliveryAttempt(models.Model):
    """One HTTP request of a delivery: what came back and how long it took."""

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", _("delivered")
        RETRY = "retry", _("failed, will retry")
        FAILED = "failed", _("failed, no retry")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log",
                                 verbose_name=_("delivery"))
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    status_code = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_head = models.TextField(_("response (first bytes)"), blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)

    class Meta:
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")
        ordering = ["delivery", "started_at", "pk"]

    def __str__(self):
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M:%S}"
