"""Campaigns (营销活动): who (a segment), when (a trigger), what (benefit lines), messages per channel, limits,
a holdout group and an attribution window; their occurrences and the once-only record of each member's part."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coupons.models import ClaimChannel, new_channel_token
from loyalty.benefits import BenefitLine
from loyalty.models import OutboxMessage

Channel = OutboxMessage.Channel


def trigger_choices() -> list[tuple[str, str]]:
    from campaigns.triggers import triggers

    return triggers.choices()


class Campaign(models.Model):
    """An automated send: a segment evaluated when it runs, a trigger, benefit lines and messages."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        ENDED = "ended", _("ended")

    class Every(models.TextChoices):
        DAY = "day", _("every day")
        WEEK = "week", _("every week")
        MONTH = "month", _("every month")

    class BirthdayCalendar(models.TextChoices):
        SOLAR = "solar", _("the birthday (solar calendar)")
        LUNAR = "lunar", _("the lunar birthday")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="campaigns",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=100)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    segment = models.ForeignKey("merchants.Segment", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("segment"),
                                help_text=_("Evaluated each time the campaign runs. Empty: every member."))
    trigger = models.CharField(_("trigger"), max_length=30, choices=trigger_choices)
    send_at = models.DateTimeField(_("send at"), null=True, blank=True, help_text=_("For a one-off send."))
    every = models.CharField(_("repeats"), max_length=8, choices=Every.choices, blank=True)
    weekday = models.PositiveSmallIntegerField(_("weekday (1 = Monday)"), null=True, blank=True,
                                               validators=[MinValueValidator(1), MaxValueValidator(7)])
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(28)])
    hour = models.PositiveSmallIntegerField(_("hour"), default=10, validators=[MaxValueValidator(23)],
                                            help_text=_("In the merchant's time zone."))
    days = models.PositiveSmallIntegerField(_("days"), null=True, blank=True,
                                            help_text=_("Days before (birthday, holiday, expiry) or since the last "
                                                        "payment (wake-up)."))
    birthday_calendar = models.CharField(
        _("birthday by"), max_length=8, choices=BirthdayCalendar.choices, default=BirthdayCalendar.SOLAR,
        help_text=_("For the birthday trigger. Lunar: day 30 of a month with 29 days this year is celebrated on the "
                    "29th; a leap month is celebrated in the ordinary month of the same number."))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True,
                                 help_text=_("Stored value below this amount."))
    level = models.ForeignKey("membership.Level", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("level"))
    coupon_template = models.ForeignKey("coupons.CouponTemplate", on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+", verbose_name=_("coupon"))
    holdout_percent = models.DecimalField(
        _("holdout (%)"), max_digits=4, decimal_places=2, default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("50"))],
        help_text=_("Share of eligible members who get nothing, to measure the effect. 0 allowed."))
    attribution_days = models.PositiveSmallIntegerField(_("attribution window (days)"), default=14,
                                                        validators=[MinValueValidator(1), MaxValueValidator(90)])
    times_per_member = models.PositiveSmallIntegerField(
        _("at most times per member"), null=True, blank=True, help_text=_("Over the campaign's life. Empty: no limit."))
    sends_segment = models.ForeignKey(
        "merchants.Segment", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False,
        verbose_name=_("segment of its mass sends"),
        help_text=_("Who each run's mass send gives the benefits to: that run's sent members."))
    landing_title = models.CharField(_("landing page title"), max_length=100, blank=True)
    landing_text = models.TextField(_("landing page text"), blank=True)
    landing_views = models.PositiveIntegerField(_("landing page views"), default=0, editable=False)
    landing_claims = models.PositiveIntegerField(_("claims on the landing page"), default=0, editable=False)
    # The uplift of revenue per member as last measured (services/uplift.measure_uplift): the list shows it without
    # reading every delivery's window; the daily measurement refreshes campaigns whose windows are still open.
    uplift_measured_at = models.DateTimeField(_("uplift measured at"), null=True, blank=True, editable=False)
    uplift_revenue = models.DecimalField(_("revenue uplift per member"), max_digits=14, decimal_places=2, null=True,
                                         blank=True, editable=False)
    uplift_revenue_low = models.DecimalField(_("revenue uplift, interval low"), max_digits=14, decimal_places=2,
                                             null=True, blank=True, editable=False)
    uplift_revenue_high = models.DecimalField(_("revenue uplift, interval high"), max_digits=14, decimal_places=2,
                                              null=True, blank=True, editable=False)
    uplift_too_small = models.BooleanField(_("too small to tell"), default=False, editable=False)
    created_by = models.ForeignKey("auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(holdout_percent__gte=0) & Q(holdout_percent__lte=50),
                                              name="campaign_holdout_in_range")]

    def __str__(self):
        return self.name

    @property
    def holdout_threshold(self) -> int:
        """Members whose bucket (0–9999) is below this are held out."""
        return int(self.holdout_percent * 100)


class CampaignBenefit(BenefitLine):
    """One line of what the campaign gives each treated member (points, cashback, a punch card ...)."""

    owner_field = "campaign"
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="benefits",
                                 verbose_name=_("campaign"))

    class Meta(BenefitLine.Meta):
        verbose_name = _("benefit of the campaign")
        verbose_name_plural = _("benefits of the campaign")


class CampaignChannel(models.Model):
    """A channel the campaign is handed out through (活动渠道): a poster in store, an SMS, an official-account
    article, a partner shop. Each has its own landing-page link (/m/<slug>/campaigns/<id>/c/<token>/) and QR
    poster, and counts the views and claims made through it on its row (moved with F()). Coupons claimed through
    it carry `claim_channel`, the campaign coupon's own claim channel made for it on first use, so redemptions and
    the money taken off bills are read from those coupons and the coupons report lists the channel too."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="channels",
                                 verbose_name=_("campaign"))
    name = models.CharField(_("name"), max_length=40, help_text=_("Where the link is shown, e.g. the door poster."))
    kind = models.CharField(_("kind"), max_length=16, choices=ClaimChannel.Kind.choices,
                            default=ClaimChannel.Kind.POSTER)
    token = models.CharField(_("link token"), max_length=16, unique=True, editable=False, default=new_channel_token)
    views = models.PositiveIntegerField(_("views"), default=0, editable=False,
                                        help_text=_("Times the channel's link was opened."))
    claims = models.PositiveIntegerField(_("claims"), default=0, editable=False,
                                         help_text=_("Coupons members took through the channel's link."))
    claim_channel = models.ForeignKey(
        "coupons.ClaimChannel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False,
        verbose_name=_("claim channel of the coupon"),
        help_text=_("The coupon's channel its claims are recorded with (made for the campaign's coupon)."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("campaign channel")
        verbose_name_plural = _("campaign channels")
        ordering = ["campaign", "pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "name"], name="campaign_channel_name_unique")]

    def __str__(self):
        return f"{self.campaign} · {self.name}"


class CampaignMessage(models.Model):
    """The campaign's text on one channel, with placeholders {name} {coupon} {expiry} {link}."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="messages",
                                 verbose_name=_("campaign"))
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices)
    title = models.CharField(_("title"), max_length=120, blank=True)
    body = models.TextField(_("text"), help_text=_("Placeholders: {name} {coupon} {expiry} {link}."))

    class Meta:
        verbose_name = _("campaign message")
        verbose_name_plural = _("campaign messages")
        constraints = [models.UniqueConstraint(fields=["campaign", "channel"], name="campaign_message_per_channel")]

    def __str__(self):
        return f"{self.campaign} · {self.get_channel_display()}"


class ChannelCondition(models.TextChoices):
    """What a channel rule asks of a member (the attributes are on merchants.Member)."""

    FOLLOWS_OFFICIAL_ACCOUNT = "follows_official_account", _("follows the official account")
    HAS_WECHAT_OPENID = "has_wechat_openid", _("has a WeChat openid")
    HAS_ALIPAY_ID = "has_alipay_id", _("has an Alipay user id")
    HAS_PHONE = "has_phone", _("has a phone number")
    ALWAYS = "always", _("always")


class ChannelRule(models.Model):
    """One step of the ordered list that chooses each member's channel: the first rule the member meets wins."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="channel_rules",
                                 verbose_name=_("campaign"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    condition = models.CharField(_("if the member"), max_length=30, choices=ChannelCondition.choices)
    channel = models.CharField(_("send by"), max_length=24, choices=Channel.choices)

    class Meta:
        verbose_name = _("channel rule")
        verbose_name_plural = _("channel rules")
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.get_condition_display()} → {self.get_channel_display()}"


class HolidayDate(models.Model):
    """A day in the merchant's holiday calendar: preloaded public holidays (editable) and its own dates."""

    class Source(models.TextChoices):
        PUBLIC = "public", _("public holiday")
        OWN = "own", _("the merchant's own date")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="holiday_dates",
                                 verbose_name=_("merchant"))
    day = models.DateField(_("day"))
    name = models.CharField(_("name"), max_length=60)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, default=Source.OWN)
    is_active = models.BooleanField(_("campaigns send on it"), default=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holiday calendar")
        ordering = ["day"]
        constraints = [models.UniqueConstraint(fields=["merchant", "day"], name="holiday_once_per_day")]

    def __str__(self):
        return f"{self.day} {self.name}"


class Occurrence(models.Model):
    """One run of a campaign (a day of a birthday campaign, a holiday, the one-off send), planned in batches."""

    class Status(models.TextChoices):
        PLANNING = "planning", _("choosing members")
        GIVING = "giving", _("giving benefits")
        MESSAGING = "messaging", _("writing messages")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="occurrences",
                                 verbose_name=_("campaign"))
    key = models.CharField(_("occurrence"), max_length=40, help_text=_("e.g. the day it is for: 2026-12-01."))
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNING)
    eligible = models.PositiveIntegerField(_("eligible"), default=0)
    treated = models.PositiveIntegerField(_("treated"), default=0)
    held_out = models.PositiveIntegerField(_("held out"), default=0)
    capped = models.PositiveIntegerField(_("stopped by a frequency cap"), default=0)
    messaged = models.PositiveIntegerField(_("messages written"), default=0)
    last_member_id = models.PositiveBigIntegerField(_("planned up to member"), default=0, editable=False)
    last_message_member_id = models.PositiveBigIntegerField(_("messages up to member"), default=0, editable=False)
    issuance = models.ForeignKey("coupons.CouponIssuance", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("mass send"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign run")
        verbose_name_plural = _("campaign runs")
        ordering = ["-due_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["campaign", "key"], name="occurrence_once_per_key")]

    def __str__(self):
        return f"{self.campaign} · {self.key}"


class Outcome(models.TextChoices):
    TREATED = "treated", _("sent")
    HELD_OUT = "held_out", _("held out")
    CAPPED = "capped", _("stopped by a frequency cap")


class Delivery(models.Model):
    """A member's part in one occurrence: sent, held out or capped. Unique per campaign, occurrence and member,
    so retries, restarts and overlapping runs give nobody an occurrence twice; `created_at` opens the member's
    attribution window, for the held out as for the treated."""

    # A million rows an occurrence: only the indexes the engine and the report read (the unique key leads with
    # the occurrence, (campaign, outcome) serves the campaign), none per foreign key.
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"), db_index=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries",
                                 verbose_name=_("campaign"), db_index=False)
    occurrence = models.ForeignKey(Occurrence, on_delete=models.CASCADE, related_name="deliveries",
                                   verbose_name=_("campaign run"), db_index=False)
    member = models.ForeignKey("merchants.Member", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("member"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    channel = models.CharField(_("channel"), max_length=24, choices=Channel.choices, blank=True)
    bucket = models.PositiveSmallIntegerField(_("holdout bucket"))
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign delivery")
        verbose_name_plural = _("campaign deliveries")
        constraints = [models.UniqueConstraint(fields=["occurrence", "member", "campaign"],
                                               name="delivery_once_per_member_and_occurrence")]
        indexes = [models.Index(fields=["campaign", "outcome"])]

    def __str__(self):
        return f"{self.occurrence} · {self.member_id} · {self.outcome}"


class ShortLink(models.Model):
    """A short address (/s/<code>) for a message, redirecting to a campaign or claim page and counting clicks."""

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    code = models.CharField(_("code"), max_length=12, unique=True)
    target = models.CharField(_("goes to"), max_length=500)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="links",
                                 verbose_name=_("campaign"))
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("short link")
        verbose_name_plural = _("short links")

    def __str__(self):
        return f"/s/{self.code}"
