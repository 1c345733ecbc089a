"""The tenant (Merchant), its stores, staff, terminals and members."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loyalty.benefits import BenefitLine
from loyalty.models import OutboxMessage
from loyalty.segments import segment_filters
from merchants.lunar import format_lunar, lunar_day


def default_time_zone() -> str:
    return settings.TIME_ZONE


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(_("Enter a time zone such as Asia/Shanghai.")) from None


class Merchant(models.Model):
    """A business using the platform (商户): the tenant every other row belongs to."""

    class Currency(models.TextChoices):
        CNY = "CNY", _("Chinese yuan")
        HKD = "HKD", _("Hong Kong dollar")
        MOP = "MOP", _("Macanese pataca")
        USD = "USD", _("US dollar")

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=50, unique=True,
                            help_text=_("Used in member page addresses: /m/<slug>/"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices, default=Currency.CNY)
    service_phone = models.CharField(_("service phone"), max_length=32, blank=True)
    sms_signature = models.CharField(_("SMS signature"), max_length=20, blank=True,
                                     help_text=_("Shown in brackets at the start of every SMS; the name if empty."))
    time_zone = models.CharField(_("time zone"), max_length=64, default=default_time_zone,
                                 validators=[validate_time_zone],
                                 help_text=_("Every time the API answers is in this zone, with its offset."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def signature(self) -> str:
        return self.sms_signature or self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Store(models.Model):
    """A shop of a merchant (门店), where terminals stand and members pay."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="stores", verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=100)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    is_open = models.BooleanField(_("open"), default=True, help_text=_("A closed store takes no payments."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["merchant", "name"]
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="store_name_unique_per_merchant")]

    def __str__(self):
        return self.name


class StaffRole(models.TextChoices):
    OWNER = "owner", _("owner")
    MANAGER = "manager", _("manager")
    CASHIER = "cashier", _("cashier")


class StaffMember(models.Model):
    """A login of the merchant's staff, with the role that sets what they may do in the admin."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile",
                                verbose_name=_("user"))
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="staff", verbose_name=_("merchant"))
    role = models.CharField(_("role"), max_length=16, choices=StaffRole.choices)
    store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff",
                              verbose_name=_("store"), help_text=_("The store a cashier works at, if just one."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["merchant", "user__username"]

    def __str__(self):
        return f"{self.user.get_username()} ({self.get_role_display()})"


class Terminal(models.Model):
    """A POS, cash register or payment plug-in of one store, calling the API with its own key.

    The key is shown once when the terminal is created; only its prefix (to find the row) and a
    SHA-256 hash (to check it) are stored.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="terminals",
                                 verbose_name=_("merchant"))
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="terminals", verbose_name=_("store"))
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"), editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("terminal")
        verbose_name_plural = _("terminals")
        ordering = ["merchant", "store", "name"]

    def __str__(self):
        return f"{self.store} / {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class MemberTag(models.Model):
    """A label staff put on members (e.g. VIP, office worker) to find and target them."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="member_tags",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=40)

    class Meta:
        verbose_name = _("member tag")
        verbose_name_plural = _("member tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="member_tag_unique_per_merchant")]

    def __str__(self):
        return self.name


class MemberField(models.Model):
    """A merchant-defined member attribute (会员属性), asked on the join form and kept on the member."""

    class Kind(models.TextChoices):
        TEXT = "text", _("text")
        NUMBER = "number", pgettext_lazy("kind of member attribute", "number")
        DATE = "date", _("date")
        CHOICE = "choice", _("single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("multiple choice")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="member_fields",
                                 verbose_name=_("merchant"))
    key = models.SlugField(_("key"), max_length=40, help_text=_("Internal name, e.g. company or shoe_size."))
    label = models.CharField(_("label"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True,
                               help_text=_("For choice fields: the options, as a JSON list of strings."))
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("member field")
        verbose_name_plural = _("member fields")
        ordering = ["merchant", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["merchant", "key"], name="member_field_key_unique_per_merchant")]

    def __str__(self):
        return self.label


phone_validator = RegexValidator(r"^(1[3-9]\d{9}|\+[1-9]\d{7,14})$",
                                 _("Enter a mobile number: 11 digits starting with 1, or + and the country code."),
                                 code="phone_invalid")


class Member(models.Model):
    """A customer of one merchant (会员). One phone is one member per merchant."""

    class Gender(models.TextChoices):
        UNKNOWN = "unknown", _("not given")
        FEMALE = "female", _("female")
        MALE = "male", _("male")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        FROZEN = "frozen", _("frozen")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="members", verbose_name=_("merchant"))
    phone = models.CharField(_("phone"), max_length=16, validators=[phone_validator])
    name = models.CharField(_("name"), max_length=60, blank=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    # The birthday in the lunar calendar (农历生日), derived from `birthday` on every save (never typed in), so
    # lunar birthday campaigns select with a filter. Empty without a birthday or outside 1900–2100.
    lunar_birthday_month = models.PositiveSmallIntegerField(_("lunar birthday: month"), null=True, blank=True,
                                                            editable=False)
    lunar_birthday_day = models.PositiveSmallIntegerField(_("lunar birthday: day"), null=True, blank=True,
                                                          editable=False)
    lunar_birthday_leap = models.BooleanField(_("lunar birthday in a leap month"), default=False, db_default=False,
                                              editable=False)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now, db_index=True)
    source_store = models.ForeignKey(Store, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                     verbose_name=_("source store"))
    referrer = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals",
                                 verbose_name=_("referrer"))
    tags = models.ManyToManyField(MemberTag, blank=True, related_name="members", verbose_name=_("tags"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)
    custom_fields = models.JSONField(_("member attributes"), default=dict, blank=True)
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)
    # What campaigns choose a channel by (an ordered rule list per campaign reads these).
    # Defaults in the database too: bulk loads (imports, benchmarks) insert members with raw SQL.
    wechat_openid = models.CharField(_("WeChat openid"), max_length=64, blank=True, default="", db_default="")
    follows_official_account = models.BooleanField(_("follows the official account"), default=False,
                                                   db_default=False)
    alipay_user_id = models.CharField(_("Alipay user id"), max_length=64, blank=True, default="", db_default="")
    # Set while the member refuses marketing messages; the history is in MarketingConsentChange.
    marketing_opt_out_at = models.DateTimeField(_("opted out of marketing at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["-joined_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["merchant", "phone"], name="member_phone_unique_per_merchant")]
        indexes = [models.Index(fields=["merchant", "joined_at"]), models.Index(fields=["merchant", "birthday"]),
                   models.Index(fields=["merchant", "lunar_birthday_month", "lunar_birthday_day"],
                                name="member_lunar_birthday_idx")]

    def __str__(self):
        return self.name or self.masked_phone

    LUNAR_BIRTHDAY_FIELDS = ("lunar_birthday_month", "lunar_birthday_day", "lunar_birthday_leap")

    def save(self, *args, update_fields=None, **kwargs):
        # Derived here rather than in one service so the admin form, the API, joining and profile edits all agree.
        # Only when the birthday is written: a save of other fields must not load a deferred birthday.
        if update_fields is None or "birthday" in update_fields:
            self.fill_lunar_birthday()
            if update_fields is not None:
                update_fields = {*update_fields, *self.LUNAR_BIRTHDAY_FIELDS}
        super().save(*args, update_fields=update_fields, **kwargs)

    def fill_lunar_birthday(self) -> None:
        lunar = lunar_day(self.birthday) if self.birthday else None
        self.lunar_birthday_month = lunar.month if lunar else None
        self.lunar_birthday_day = lunar.day if lunar else None
        self.lunar_birthday_leap = lunar.leap if lunar else False

    @property
    def lunar_birthday(self) -> str:
        """The lunar birthday as written in Chinese (闰四月初八), or empty."""
        if not self.lunar_birthday_month:
            return ""
        return format_lunar(month=self.lunar_birthday_month, day=self.lunar_birthday_day,
                            leap=self.lunar_birthday_leap)

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}" if len(self.phone) >= 8 else self.phone

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class JoinGift(models.Model):
    """What a merchant gives every new member (入会礼): benefit lines of any registered kind."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="join_gift",
                                    verbose_name=_("merchant"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("join gift")
        verbose_name_plural = _("join gifts")

    def __str__(self):
        return str(_("Join gift of %(merchant)s") % {"merchant": self.merchant})


class JoinGiftBenefit(BenefitLine):
    """One line of the join gift."""

    owner_field = "gift"
    gift = models.ForeignKey(JoinGift, on_delete=models.CASCADE, related_name="benefits",
                             verbose_name=_("join gift"))

    class Meta(BenefitLine.Meta):
        verbose_name = _("benefit of the join gift")
        verbose_name_plural = _("benefits of the join gift")


class LoginCode(models.Model):
    """A one-time code texted to a phone to log in on member pages; stored as a hash."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant"))
    phone = models.CharField(_("phone"), max_length=16)
    code_hash = models.CharField(_("code hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)

    class Meta:
        verbose_name = _("login code")
        verbose_name_plural = _("login codes")
        indexes = [models.Index(fields=["merchant", "phone", "-created_at"])]

    def __str__(self):
        return f"{self.phone} @ {self.created_at:%Y-%m-%d %H:%M}"



class StaffAction(LogEntry):
    """Django's admin log seen per merchant: what each staff member added, changed or deleted."""

    merchant_lookup = "user__staff_profile__merchant"

    class Meta:
        proxy = True
        verbose_name = _("staff action")
        verbose_name_plural = _("staff actions")
        ordering = ["-action_time"]


class Segment(models.Model):
    """A saved, named group of members (会员分群), made of filter clauses, for mass sends and campaigns.

    Who is in it is decided when it is used (members join, pay and change level every day); the clauses
    are filter codes of `loyalty.segments.segment_filters` with their parameters.
    """

    class Match(models.TextChoices):
        ALL = "all", _("members matching every condition")
        ANY = "any", _("members matching any condition")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="segments",
                                 verbose_name=_("merchant"))
    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), blank=True)
    match = models.CharField(_("who is in it"), max_length=3, choices=Match.choices, default=Match.ALL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"), editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["merchant", "name"], name="segment_name_unique_per_merchant")]

    def __str__(self):
        return self.name


class SegmentClause(models.Model):
    """One condition of a segment: a registered filter's code and its cleaned parameters."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant"))
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="clauses",
                                verbose_name=_("segment"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # No choices on the column: the filters are registered by the apps at start-up.
    filter = models.CharField(_("condition"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict, blank=True)

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["segment", "position", "pk"]

    def __str__(self):
        if self.filter not in segment_filters:
            return self.filter
        try:
            return segment_filters.get(self.filter).describe(self.params or {})
        except (KeyError, TypeError, ValueError, LookupError):
            return str(segment_filters.get(self.filter).label)  # parameters not saved yet or no longer valid


class MarketingConsentChange(models.Model):
    """One change of a member's consent to marketing messages: when, which way and how it was given."""

    class How(models.TextChoices):
        LINK = "link", _("opt-out link in a message")
        PAGE = "page", _("member page switch")
        STAFF = "staff", _("staff, in the console")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consent_changes",
                               verbose_name=_("member"))
    opted_in = models.BooleanField(_("accepts marketing"))
    how = models.CharField(_("how"), max_length=8, choices=How.choices)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+", verbose_name=_("staff"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("marketing consent change")
        verbose_name_plural = _("marketing consent changes")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["member", "-created_at"])]

    def __str__(self):
        return f"{self.member} {self.how} {self.opted_in}"


class MarketingSettings(models.Model):
    """How much marketing a merchant lets reach a member: quiet hours (in the merchant's zone)."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="marketing_settings",
                                    verbose_name=_("merchant"))
    quiet_from = models.TimeField(_("quiet hours from"), null=True, blank=True,
                                  help_text=_("e.g. 21:00. Marketing messages due inside wait for the end."))
    quiet_until = models.TimeField(_("quiet hours until"), null=True, blank=True, help_text=_("e.g. 09:00."))

    class Meta:
        verbose_name = _("marketing settings")
        verbose_name_plural = _("marketing settings")

    def __str__(self):
        return str(self.merchant)


class CapPeriod(models.TextChoices):
    """Calendar periods in the merchant's zone: a day, a week from Monday, a month from its 1st."""

    DAY = "day", _("day")
    WEEK = "week", _("week (Monday to Sunday)")
    MONTH = "month", _("calendar month")


class FrequencyCap(models.Model):
    """At most `limit` marketing messages to one member on one channel per calendar period."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="frequency_caps",
                                 verbose_name=_("merchant"))
    channel = models.CharField(_("channel"), max_length=24, choices=OutboxMessage.Channel.choices)
    limit = models.PositiveSmallIntegerField(_("at most"), validators=[MinValueValidator(1)])
    period = models.CharField(_("per"), max_length=8, choices=CapPeriod.choices, default=CapPeriod.WEEK)

    class Meta:
        verbose_name = _("frequency cap")
        verbose_name_plural = _("frequency caps")
        constraints = [models.UniqueConstraint(fields=["merchant", "channel"], name="frequency_cap_once_per_channel"),
                       models.CheckConstraint(condition=models.Q(limit__gte=1), name="frequency_cap_limit_positive")]

    def __str__(self):
        return f"{self.channel}: {self.limit}/{self.period}"


class FrequencyCounter(models.Model):
    """Marketing messages reserved for one member on one channel in one period: the cap's counter row.

    Reserved by one conditional upsert (`count < limit`), so concurrent sends from any campaign never pass the cap.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", verbose_name=_("merchant"))
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member"))
    channel = models.CharField(_("channel"), max_length=24, choices=OutboxMessage.Channel.choices)
    period_start = models.DateField(_("period starts"))
    count = models.PositiveSmallIntegerField(_("messages"), default=0)

    class Meta:
        verbose_name = _("frequency counter")
        verbose_name_plural = _("frequency counters")
        constraints = [models.UniqueConstraint(fields=["member", "channel", "period_start"],
                                               name="frequency_counter_once_per_period")]

    def __str__(self):
        return f"{self.member_id} {self.channel} {self.period_start}: {self.count}"
