"""Finance (财务对账): payment platform statements uploaded to be matched against the payments.

The reconciliation and the liability roll-forward are reports (finance.reports) over the other apps' rows;
the only rows finance keeps are what a merchant uploads: a statement and its lines, as the platform wrote them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from checkout.models import Channel
from loyalty.money import MoneyField


class StatementLayout(models.TextChoices):
    GENERIC = "generic", _("generic (trade_no, amount, paid_at, kind)")
    WECHAT = "wechat", _("WeChat Pay bill")
    ALIPAY = "alipay", _("Alipay bill")


class Statement(models.Model):
    """A payment platform's statement (对账单) for one channel, as uploaded."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    channel = models.CharField(_("outside channel"), max_length=10, choices=Channel.choices)
    layout = models.CharField(_("layout"), max_length=10, choices=StatementLayout.choices)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("payment platform statement")
        verbose_name_plural = _("payment platform statements")
        ordering = ["-uploaded_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(last_day__gte=models.F("first_day")),
                                              name="statement_days_ordered")]

    def __str__(self):
        return f"{self.get_channel_display()} {self.first_day}–{self.last_day}"


class StatementLine(models.Model):
    """One line of a statement: a payment or a refund the platform says it made, by its trade number."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        REFUND = "refund", _("refund")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines",
                                  verbose_name=_("statement"))
    row = models.PositiveIntegerField(_("row in the file"))
    trade_no = models.CharField(_("platform trade number"), max_length=64)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.PAYMENT)
    amount = MoneyField(_("amount"))
    occurred_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "row"]
        constraints = [models.UniqueConstraint(fields=["statement", "row"], name="statement_line_row_once"),
                       models.CheckConstraint(condition=Q(amount__gt=0), name="statement_line_amount_positive")]
        indexes = [models.Index(fields=["merchant", "trade_no"])]

    def __str__(self):
        return f"{self.trade_no} {self.amount}"


class SettledDay(models.Model):
    """A merchant's day whose settlement is kept in `SettlementFigure` (built by `finance.tasks.settle_days`).

    The settlement reads kept days from there and every other day (today, a day not yet built) from the
    payments themselves, so a year answers fast and today is always up to date.
    """

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    day = models.DateField(_("day"))
    built_at = models.DateTimeField(_("built at"), default=timezone.now)

    class Meta:
        verbose_name = _("settled day")
        verbose_name_plural = _("settled days")
        constraints = [models.UniqueConstraint(fields=["merchant", "day"], name="settled_day_once")]

    def __str__(self):
        return f"{self.merchant_id} {self.day}"


class SettlementFigure(models.Model):
    """One figure of one settled day at one store's till, for one cashier (or self-pay) and one channel: the
    payments' count and sums, what a pricing step took off (`step:<code>`), what a tender paid (`tender:<code>`)
    or got back (`refund:<code>`)."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    day = models.DateField(_("day"))
    store = models.ForeignKey("merchants.Store", on_delete=models.CASCADE, related_name="+",
                              verbose_name=_("store"))
    terminal = models.ForeignKey("merchants.Terminal", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminal"))
    # The payments' cashier (收银员) and how they came in, so self-pay is its own row beside each cashier's.
    cashier = models.ForeignKey("merchants.StaffMember", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", verbose_name=_("cashier"))
    source = models.CharField(_("source"), max_length=10, blank=True)
    channel = models.CharField(_("outside channel"), max_length=10, blank=True)
    figure = models.CharField(_("figure"), max_length=48)
    count = models.PositiveIntegerField(_("count"), default=0)
    amount = MoneyField(_("amount"), default=0)

    class Meta:
        verbose_name = _("settlement figure")
        verbose_name_plural = _("settlement figures")
        indexes = [models.Index(fields=["merchant", "day"])]

    def __str__(self):
        return f"{self.day} {self.figure} {self.amount}"
