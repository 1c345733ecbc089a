"""Coupon templates (what a merchant offers), coupons (what a member holds), redemptions and mass sends."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coupons import codes
from loyalty.benefits import BenefitLine
from loyalty.money import CENT, MoneyField
from loyalty.pricing import coupon_kind_choices, coupon_kinds


class CouponTemplate(models.Model):
    """A coupon a merchant offers (优惠券模板): its kind, scope, validity, stock and who may get it.

    Kinds follow WeChat cards: 代金券/满减 (cash off with a minimum bill), 折扣券 (pay a percentage,
    optionally capped) and 兑换券 (a named item for free); for the whole bill (店铺券) or listed products
    (商品券). Validity is fixed dates or, like WeChat's `fixed_term`/`fixed_begin_term`, N days starting
    M days after claiming. Stock is the 发行量; audiences include 新会员专享; members may get it for points
    (积分兑换), gift it (朋友的券), or unlock it by sharing (裂变券).
    """

    class Kind:
        """The codes of the built-in kinds; every registered kind (coupons.kinds) is a choice of `kind`."""

        CASH = "cash"
        DISCOUNT = "discount"
        EXCHANGE = "exchange"

    class Scope(models.TextChoices):
        BILL = "bill", _("the whole bill")
        PRODUCTS = "products", _("listed products or categories only")

    class Validity(models.TextChoices):
        FIXED = "fixed", _("fixed dates")
        RELATIVE = "relative", _("N days after claiming")

    class Audience(models.TextChoices):
        ANYONE = "anyone", _("anyone (visitors join to claim)")
        MEMBERS = "members", _("members only")
        NEW_MEMBERS = "new_members", _("new members only")
        LEVELS = "levels", _("certain levels only")
        HIDDEN = "hidden", _("hidden: only by the link the merchant sends")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        ENDED = "ended", _("ended")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="coupon_templates",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=60)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=coupon_kind_choices, default=Kind.CASH)
    amount_off = MoneyField(_("amount off"), null=True, blank=True,
                            validators=[MinValueValidator(CENT)],
                            help_text=_("Cash coupons: the amount taken off."))
    minimum_bill = MoneyField(_("minimum bill"), null=True, blank=True, validators=[MinValueValidator(CENT)],
                              help_text=_("The least (eligible) amount the coupon applies to; empty for none."))
    discount_percent = models.DecimalField(
        # xgettext:no-python-format
        _("member pays (% of the amount)"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(CENT), MaxValueValidator(Decimal("99.99"))],
        # xgettext:no-python-format
        help_text=_("Discount coupons: 88 means the member pays 88% of the amount."))
    discount_cap = MoneyField(_("discount cap"), null=True, blank=True, validators=[MinValueValidator(CENT)],
                              help_text=_("Discount coupons: the most taken off; empty for no cap."))
    exchange_item = models.CharField(_("free item"), max_length=60, blank=True,
                                     help_text=_("Exchange coupons: the item or service given for free."))
    exchange_product = models.CharField(_("free item's product code"), max_length=40, blank=True,
                                        help_text=_("Priced from the bill's line with this product code."))

    scope = models.CharField(_("applies to"), max_length=16, choices=Scope.choices, default=Scope.BILL)
    products = models.JSONField(_("product codes"), default=list, blank=True,
                                help_text=_('For product coupons: a JSON list, e.g. ["latte", "mocha"].'))
    categories = models.JSONField(_("product categories"), default=list, blank=True,
                                  help_text=_('For product coupons: a JSON list, e.g. ["coffee"].'))
    stores = models.ManyToManyField("merchants.Store", blank=True, related_name="+", verbose_name=_("stores"),
                                    help_text=_("Where it can be used; none chosen means every store."))
    weekdays = models.JSONField(_("days of the week"), default=list, blank=True,
                                help_text=_("JSON list of ISO weekdays (1 = Monday, 7 = Sunday); empty: every day."))
    hours_from = models.TimeField(_("usable from (time of day)"), null=True, blank=True)
    hours_until = models.TimeField(_("usable until (time of day)"), null=True, blank=True)
    stackable = models.BooleanField(_("stacks with other discounts"), default=True)

    validity = models.CharField(_("validity"), max_length=16, choices=Validity.choices, default=Validity.FIXED)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("valid for (days)"), null=True, blank=True,
                                             validators=[MinValueValidator(1)])
    starts_after_days = models.PositiveIntegerField(_("starts after (days)"), default=0,
                                                    help_text=_("0: usable on the day of claiming."))

    stock = models.PositiveIntegerField(_("stock"), null=True, blank=True,
                                        help_text=_("How many may be issued in all; empty for no limit."))
    issued_count = models.PositiveIntegerField(_("issued"), default=0, editable=False)
    claimed_count = models.PositiveIntegerField(_("claimed"), default=0, editable=False,
                                                help_text=_("Coupons members took through the claim link."))
    per_member_limit = models.PositiveIntegerField(_("per-member limit"), default=1,
                                                   help_text=_("How many one member may hold; 0 for no limit."))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)

    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.MEMBERS)
    new_member_days = models.PositiveIntegerField(_("new members: days since joining"), default=7)
    levels = models.ManyToManyField("membership.Level", blank=True, related_name="+", verbose_name=_("levels"))

    points_price = models.PositiveIntegerField(_("price in points"), default=0,
                                               help_text=_("0: not on the points shelf."))
    price = MoneyField(_("price"), null=True, blank=True, validators=[MinValueValidator(CENT)],
                       help_text=_("Members buy it for this amount on its claim page, through the payment "
                                   "gateway; empty: not for sale (claimed for free)."))
    giftable = models.BooleanField(_("members may gift it to a friend"), default=False)
    fission_friends = models.PositiveSmallIntegerField(
        _("fission: friends needed"), default=0,
        help_text=_("0: not a fission coupon. Otherwise the coupon unlocks when this many friends claim theirs."))
    friend_template = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                        verbose_name=_("fission: the friends' coupon"))

    claim_token = models.CharField(_("claim link token"), max_length=32, unique=True, editable=False)
    claim_page_views = models.PositiveIntegerField(_("claim page views"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(stock__isnull=True) | Q(stock__gte=models.F("issued_count")),
                                   name="coupon_template_stock_not_below_issued"),
        ]
        permissions = [("redeem_coupon", _("Can redeem coupons")),
                       ("reverse_redemption", _("Can reverse coupon redemptions"))]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.claim_token:
            self.claim_token = secrets.token_urlsafe(12)
        super().save(*args, **kwargs)

    def clean(self):
        from django.core.exceptions import ValidationError

        problems = {}
        if self.kind in coupon_kinds:  # an unknown kind is refused by the field's choices
            problems.update(coupon_kinds.get(self.kind).check(self))
        if self.scope == self.Scope.PRODUCTS and not (self.products or self.categories):
            problems["products"] = _("List the products or categories the coupon applies to.")
        if self.validity == self.Validity.FIXED:
            if not self.valid_from or not self.valid_until:
                problems["valid_until"] = _("Give both dates of a fixed validity.")
            elif self.valid_until <= self.valid_from:
                problems["valid_until"] = _("The end must come after the start.")
        elif not self.valid_days:
            problems["valid_days"] = _("Give the number of days the coupon is valid after claiming.")
        if not isinstance(self.weekdays, list) or any(day not in range(1, 8) for day in self.weekdays):
            problems["weekdays"] = _("Days of the week are numbers from 1 (Monday) to 7 (Sunday).")
        if self.stock is not None and self.stock < self.issued_count:
            problems["stock"] = _("The stock cannot go below the %(issued)d already issued.") % {
                "issued": self.issued_count}
        if self.fission_friends and self.friend_template_id is None:
            problems["friend_template"] = _("Choose the coupon the friends get.")
        if self.friend_template_id and self.friend_template_id == self.pk:
            problems["friend_template"] = _("The friends' coupon must be another template.")
        if problems:
            raise ValidationError(problems)

    @property
    def face_value(self) -> str:
        """What the coupon is worth as its face shows it (¥10.00, pay 88%, a latte): its kind says."""
        return coupon_kinds.get(self.kind).face_value(self)

    @property
    def is_fission(self) -> bool:
        return self.fission_friends > 0 and self.friend_template_id is not None

    @property
    def remaining(self) -> int | None:
        return None if self.stock is None else max(self.stock - self.issued_count, 0)


def new_channel_token() -> str:
    """A short, unguessable token for a channel's link (printed on posters, so kept short)."""
    return secrets.token_urlsafe(6)


class ClaimChannel(models.Model):
    """A channel a coupon template is handed out through (领券渠道): a poster in store, an SMS, an official-account
    article, a partner shop. Each has its own short link and QR code, and counts its own figures: views and claims
    on its row (moved with F(), so opens at the same moment never lose one), redemptions and money taken off from
    the coupons claimed through it (`Coupon.channel`)."""

    class Kind(models.TextChoices):
        POSTER = "poster", _("poster in store")
        SMS = "sms", _("SMS")
        ARTICLE = "article", _("official-account article")
        PARTNER = "partner", _("partner shop")
        OTHER = "other", _("other")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    template = models.ForeignKey(CouponTemplate, on_delete=models.CASCADE, related_name="channels",
                                 verbose_name=_("coupon template"))
    name = models.CharField(_("name"), max_length=60, help_text=_("Where the link is shown, e.g. the door poster."))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.POSTER)
    token = models.CharField(_("link token"), max_length=16, unique=True, editable=False, default=new_channel_token)
    views = models.PositiveIntegerField(_("views"), default=0, editable=False,
                                        help_text=_("Times the channel's link was opened."))
    claims = models.PositiveIntegerField(_("claims"), default=0, editable=False,
                                         help_text=_("Coupons members took through the channel's link."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("claim channel")
        verbose_name_plural = _("claim channels")
        ordering = ["template", "pk"]
        constraints = [models.UniqueConstraint(fields=["template", "name"], name="claim_channel_name_unique")]

    def __str__(self):
        return f"{self.template} · {self.name}"


class CouponIssuance(models.Model):
    """A mass send (投放) of a coupon template and/or benefit lines to a segment, run in batches by a Celery job.

    `last_member_id` is the checkpoint: every member with a smaller id in the segment is done, so a
    killed worker resumes exactly where it stopped. `has_benefits` is set once, when the send is planned
    with lines, so a batch of a coupon-only send never asks for lines.
    """

    class Segment(models.TextChoices):
        ALL = "all", _("all members")
        LEVEL = "level", _("a level")
        JOINED_BETWEEN = "joined_between", _("joined between dates")
        BIRTHDAY_MONTH = "birthday_month", _("birthday this month")
        INACTIVE = "inactive", _("no payment for N days")
        TAG = "tag", _("a tag")
        PHONES = "phones", _("uploaded list of phones")
        SAVED = "saved", _("a saved segment")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="coupon_issuances",
                                 verbose_name=_("merchant"))
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="issuances",
                                 verbose_name=_("coupon template"), null=True, blank=True,
                                 help_text=_("Optional when the send gives other benefits below."))
    segment = models.CharField(_("segment"), max_length=20, choices=Segment.choices, default=Segment.ALL)
    saved_segment = models.ForeignKey("merchants.Segment", on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name=_("saved segment"),
                                      help_text=_("Its conditions are read as the send runs, batch by batch."))
    level = models.ForeignKey("membership.Level", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name=_("level"))
    joined_from = models.DateField(_("joined from"), null=True, blank=True)
    joined_until = models.DateField(_("joined until"), null=True, blank=True)
    inactive_days = models.PositiveIntegerField(_("no payment for (days)"), null=True, blank=True)
    tag = models.ForeignKey("merchants.MemberTag", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                            verbose_name=_("tag"))
    phones = models.JSONField(_("phones"), default=list, blank=True, editable=False)
    notify_members = models.BooleanField(_("text the members"), default=True)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(_("members in the segment"), default=0)
    processed = models.PositiveIntegerField(_("members processed"), default=0)
    issued = models.PositiveIntegerField(_("coupons issued"), default=0)
    has_benefits = models.BooleanField(_("gives benefit lines"), default=False, editable=False)
    benefits_given = models.PositiveIntegerField(_("members given the benefits"), default=0)
    last_member_id = models.BigIntegerField(_("checkpoint (last member id done)"), default=0)
    stopped_reason = models.CharField(_("stopped because"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"), editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("mass send")
        verbose_name_plural = _("mass sends")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        audience = self.saved_segment if self.saved_segment_id else self.get_segment_display()
        what = self.template if self.template_id else _("benefits")
        return f"{what} → {audience}"

    @property
    def rate_per_second(self) -> float | None:
        if not self.started_at or not self.updated_at or not self.processed:
            return None
        seconds = (self.updated_at - self.started_at).total_seconds()
        return self.processed / seconds if seconds > 0 else None

    @property
    def eta_seconds(self) -> float | None:
        rate = self.rate_per_second
        if rate is None or self.status != self.Status.RUNNING:
            return None
        return max(self.total - self.processed, 0) / rate


class CouponIssuanceBenefit(BenefitLine):
    """One line of what a mass send gives each member besides its coupon (a punch card, points ...)."""

    owner_field = "issuance"
    issuance = models.ForeignKey(CouponIssuance, on_delete=models.CASCADE, related_name="benefits",
                                 verbose_name=_("mass send"))

    class Meta(BenefitLine.Meta):
        verbose_name = _("benefit of the mass send")
        verbose_name_plural = _("benefits of the mass send")


class MassSendDelivery(models.Model):
    """That one member was given a mass send's benefit lines, and what each gave (`loyalty.benefits.Given`).

    Unique per send and member: however often a batch is re-run or resumed, the lines are given once.
    """

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    issuance = models.ForeignKey(CouponIssuance, on_delete=models.PROTECT, related_name="deliveries",
                                 verbose_name=_("mass send"))
    member = models.ForeignKey("merchants.Member", on_delete=models.CASCADE, related_name="+",
                               verbose_name=_("member"))
    given = models.JSONField(_("what was given"), default=list)
    created_at = models.DateTimeField(_("given at"), default=timezone.now)

    class Meta:
        verbose_name = _("benefits given by a mass send")
        verbose_name_plural = _("benefits given by mass sends")
        constraints = [models.UniqueConstraint(fields=["issuance", "member"], name="mass_send_benefits_once")]

    def __str__(self):
        return f"{self.issuance_id} → {self.member_id}"


class Coupon(models.Model):
    """One coupon a member holds (优惠券), with its unguessable code. States move only through services."""

    class State(models.TextChoices):
        LOCKED = "locked", _("waiting for friends")
        AVAILABLE = "available", _("available")
        USED = "used", _("used")
        EXPIRED = "expired", _("expired")
        GIFTING = "gifting", _("being gifted")
        GIFTED = "gifted", _("gifted")
        VOID = "void", _("void")

    class Source(models.TextChoices):
        CLAIM = "claim", _("claimed by link or QR code")
        JOIN_GIFT = "join_gift", _("gift on joining")
        POINTS = "points", _("exchanged for points")
        PURCHASE = "purchase", _("bought")
        REWARD = "reward", _("reward after payment")
        MASS_SEND = "mass_send", _("mass send")
        FISSION = "fission", _("from a friend's share")
        GIFT = "gift", _("gift from a friend")
        STAFF = "staff", _("given by staff")

    # A mass send writes a million rows, and every index and checked foreign key is paid per row.
    # Few indexes, then: the foreign keys are served by the composite indexes below (and one index
    # serves the coupons report, see Meta). And the database
    # checks none of the coupon's keys: Postgres would queue a trigger per key per coupon and check it
    # at commit, locking the member's row (FOR KEY SHARE writes into it), which alone took longer than
    # the whole insert; even the empty keys of gifts and shares cost a trigger call each. Services take
    # merchant, template and mass send from the locked template, members from the segment's query in
    # the same transaction, and the coupons a gift or share points at under their row lock; none of
    # these rows is ever deleted in SQL behind Django's back (coupons, templates and mass sends are
    # PROTECTed, members are blocked rather than deleted, and Django's deletions cascade first).
    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="coupons",
                                 verbose_name=_("merchant"), db_index=False, db_constraint=False)
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons",
                                 verbose_name=_("coupon template"), db_index=False, db_constraint=False)
    member = models.ForeignKey("merchants.Member", on_delete=models.CASCADE, related_name="coupons",
                               verbose_name=_("member"), db_index=False, db_constraint=False)
    code = models.CharField(_("code"), max_length=codes.CODE_LENGTH)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.AVAILABLE)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.CLAIM)
    issuance = models.ForeignKey(CouponIssuance, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="coupons", verbose_name=_("mass send"), db_index=False,
                                 db_constraint=False)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    shared_via = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="friend_coupons", verbose_name=_("claimed through the share of"),
                                   db_index=False, db_constraint=False)
    share_token = models.CharField(_("share link token"), max_length=32, null=True, blank=True)
    gift_token = models.CharField(_("gift link token"), max_length=32, null=True, blank=True)
    gift_started_at = models.DateTimeField(_("gift sent at"), null=True, blank=True)
    gifted_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    verbose_name=_("gifted from"), db_index=False, db_constraint=False)
    # Like the other keys: no index and no database check, so a mass send (which never has a channel) pays
    # nothing for it; a channel's figures are read from its template's redemptions, joined to their coupons.
    channel = models.ForeignKey(ClaimChannel, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="coupons", verbose_name=_("claim channel"), db_index=False,
                                db_constraint=False)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="coupon_code_unique_per_merchant"),
            # A mass send gives each member at most one coupon, however often a batch is re-run. The
            # template leads (a mass send has one template) so that this is also the template's index;
            # coupons from no mass send have no issuance and never clash here.
            models.UniqueConstraint(fields=["template", "issuance", "member"],
                                    name="coupon_once_per_member_per_issuance"),
            # The same friend helping twice with one share does not count twice.
            models.UniqueConstraint(fields=["shared_via", "member"], condition=Q(shared_via__isnull=False),
                                    name="coupon_fission_once_per_friend"),
            # A gift moves once: one coupon at most is made from each gifted coupon.
            models.UniqueConstraint(fields=["gifted_from"], condition=Q(gifted_from__isnull=False),
                                    name="coupon_gift_moves_once"),
            models.UniqueConstraint(fields=["share_token"], condition=Q(share_token__isnull=False),
                                    name="coupon_share_token_unique"),
            models.UniqueConstraint(fields=["gift_token"], condition=Q(gift_token__isnull=False),
                                    name="coupon_gift_token_unique"),
        ]
        indexes = [
            models.Index(fields=["member", "state"], name="coupon_member_state"),
            models.Index(fields=["valid_until"], name="coupon_open_by_end",
                         condition=Q(state__in=["available", "locked", "gifting"])),
            # The sweep that returns unclaimed gifts, every few minutes: a handful of rows, never a scan.
            models.Index(fields=["gift_started_at"], name="coupon_gifts_pending", condition=Q(state="gifting")),
            # The one index kept for a read: the coupons report's issued and claimed figures, counts and distinct
            # members per template and channel, come from this index alone (an index-only scan already in the
            # report's order, no sort of a year's coupons). A mass send pays for it: a fifth more at 200,000
            # members, lost in the noise at 1,000,000 (bench_issuance, whose raw load pays it too). The trailing
            # columns are keys, not INCLUDE, so SQLite keeps the same index.
            models.Index(fields=["merchant", "template", "channel", "member", "issued_at", "state", "source"],
                         name="coupon_issued_figures"),
        ]

    def __str__(self):
        return f"{self.template} · {codes.display(self.code)}"

    @property
    def display_code(self) -> str:
        return codes.display(self.code)


class CouponRedemption(models.Model):
    """A coupon used on a bill (核销): who, where, on which payment, and how much it took off.

    A reversal keeps the row and stamps it; at most one unreversed redemption per coupon, in the database.
    """

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("coupon"))
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="redemptions",
                                 verbose_name=_("coupon template"))
    store = models.ForeignKey("merchants.Store", on_delete=models.PROTECT, related_name="+", verbose_name=_("store"))
    terminal = models.ForeignKey("merchants.Terminal", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", verbose_name=_("terminal"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("staff"))
    bill_amount = MoneyField(_("bill amount"))
    discount = MoneyField(_("amount taken off"))
    payment_reference = models.CharField(_("payment reference"), max_length=64, blank=True)
    redeemed_at = models.DateTimeField(_("redeemed at"), default=timezone.now, db_index=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("reversed by"))
    reversal_reason = models.CharField(_("reversal reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("coupon redemption")
        verbose_name_plural = _("coupon redemptions")
        ordering = ["-redeemed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["coupon"], condition=Q(reversed_at__isnull=True),
                                    name="coupon_redeemed_once"),
            models.CheckConstraint(condition=Q(discount__gte=0), name="coupon_redemption_discount_not_negative"),
        ]

    def __str__(self):
        return f"{self.coupon} @ {self.store}"


class CouponPurchase(models.Model):
    """A member buying a coupon through the payment gateway (the purpose "coupon_purchase").

    The coupon is issued once, when the gateway's signed callback confirms the payment. If by then the
    coupon cannot be given (stock ran out, the template ended), the purchase says that the money is
    to be refunded instead.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for payment")
        PAID = "paid", _("paid, coupon issued")
        FAILED = "failed", _("payment failed")
        REFUND_DUE = "refund_due", _("paid, but the coupon could not be issued: refund due")

    merchant = models.ForeignKey("merchants.Merchant", on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("merchant"))
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="purchases",
                                 verbose_name=_("coupon template"))
    member = models.ForeignKey("merchants.Member", on_delete=models.CASCADE, related_name="coupon_purchases",
                               verbose_name=_("member"))
    price = MoneyField(_("price"))
    payment = models.OneToOneField("loyalty.GatewayPayment", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="coupon_purchase", verbose_name=_("payment"))
    coupon = models.OneToOneField(Coupon, on_delete=models.PROTECT, null=True, blank=True, related_name="purchase",
                                  verbose_name=_("coupon"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("coupon purchase")
        verbose_name_plural = _("coupon purchases")
        ordering = ["-created_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(price__gt=0), name="coupon_purchase_price_positive")]

    def __str__(self):
        return f"{self.template} · {self.member}"
