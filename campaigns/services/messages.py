"""Campaign texts: placeholders, SMS length and parts, short links, the opt-out link, the channel rules."""

from __future__ import annotations

import datetime
import math
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, CampaignMessage, Channel, ChannelCondition, ShortLink
from coupons.services.rules import validity_for
from merchants.models import Member
from merchants.services.marketing import opt_out_token, opt_out_url_parts

PLACEHOLDERS = ("name", "coupon", "expiry", "link")
# GSM 03.38: the basic set fits 160 characters in one SMS; the extension set takes two places each.
GSM7_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                 "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€")
SHORT_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class SmsLength:
    characters: int
    encoding: str  # "GSM-7" or "UCS-2"
    parts: int


def sms_length(text: str) -> SmsLength:
    """How long an SMS is and how many parts it is sent in: 160 / 153 a part in GSM-7, 70 / 67 in UCS-2 (Chinese)."""
    if all(char in GSM7_BASIC or char in GSM7_EXTENDED for char in text):
        units = sum(2 if char in GSM7_EXTENDED else 1 for char in text)
        return SmsLength(units, "GSM-7", 1 if units <= 160 else math.ceil(units / 153))
    # UCS-2 counts UTF-16 code units: a character outside the basic plane (an emoji) takes two.
    units = sum(2 if ord(char) > 0xFFFF else 1 for char in text)
    return SmsLength(units, "UCS-2", 1 if units <= 70 else math.ceil(units / 67))


def absolute(path: str) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def landing_path(campaign: Campaign) -> str:
    return reverse("campaigns:landing", args=[campaign.merchant.slug, campaign.pk])


def short_link_for(campaign: Campaign) -> ShortLink:
    """The campaign's short link to its landing page (made once, then reused by every message)."""
    link = ShortLink.objects.filter(campaign=campaign).first()
    if link is not None:
        return link
    while True:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _position in range(7))
        if not ShortLink.objects.filter(code=code).exists():
            return ShortLink.objects.create(merchant_id=campaign.merchant_id, campaign=campaign, code=code,
                                            target=landing_path(campaign))


def short_url(link: ShortLink) -> str:
    return absolute(reverse("short_link", args=[link.code]))


@dataclass(frozen=True)
class Constants:
    """What a message says that is the same for every member of an occurrence."""

    coupon: str
    expiry: str
    link: str


def constants(campaign: Campaign, at: datetime.datetime) -> Constants:
    coupon, expiry = "", ""
    if campaign.coupon_template_id:
        template = campaign.coupon_template
        coupon = template.name
        expiry = timezone.localtime(validity_for(template, at)[1], campaign.merchant.zone).strftime("%Y-%m-%d")
    return Constants(coupon=coupon, expiry=expiry, link=short_url(short_link_for(campaign)))


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, *, name: str, fixed: Constants) -> str:
    """The text with its placeholders filled; an unknown {word} stays as written."""
    return template.format_map(_Missing(name=name or _("member"), coupon=fixed.coupon, expiry=fixed.expiry,
                                        link=fixed.link))


NAME_MARK, OPT_OUT_MARK = "\x00name\x00", "\x00opt-out\x00"


@dataclass(frozen=True)
class Texts:
    """One channel's title and text with everything but the member filled in, made once per batch: a member's
    copy is then two string replacements (a name with braces in it stays text, never a placeholder)."""

    title: str
    body: str
    opt_out_prefix: str
    opt_out_suffix: str
    nameless: str

    def for_member(self, member_id: int, name: str) -> tuple[str, str]:
        who = name or self.nameless
        body = self.body.replace(NAME_MARK, who)
        if OPT_OUT_MARK in body:
            body = body.replace(OPT_OUT_MARK, f"{self.opt_out_prefix}{opt_out_token(member_id)}{self.opt_out_suffix}")
        return self.title.replace(NAME_MARK, who), body


def texts_for(message: CampaignMessage, fixed: Constants) -> Texts:
    """A marketing SMS carries its signature and an opt-out link (the member's own, signed)."""
    body = render(message.body, name=NAME_MARK, fixed=fixed)
    if message.channel == Channel.SMS:
        signature = message.campaign.merchant.sms_signature or message.campaign.merchant.name
        body = _("[%(signature)s] %(text)s Opt out: %(link)s") % {"signature": signature, "text": body,
                                                                  "link": OPT_OUT_MARK}
    prefix, suffix = opt_out_url_parts()
    return Texts(render(message.title, name=NAME_MARK, fixed=fixed), body, prefix, suffix, str(_("member")))


@dataclass(frozen=True)
class Preview:
    channel: str
    title: str
    text: str
    length: SmsLength | None


def preview(campaign: Campaign, member: Member) -> list[Preview]:
    """Each channel's message as this member would get it, with the SMS length and parts."""
    fixed = constants(campaign, timezone.now())
    shown = []
    for message in campaign.messages.select_related("campaign__merchant").order_by("channel"):
        title, text = texts_for(message, fixed).for_member(member.pk, member.name)
        shown.append(Preview(message.channel, title, text,
                             sms_length(text) if message.channel == Channel.SMS else None))
    return shown


CONDITIONS = {
    ChannelCondition.FOLLOWS_OFFICIAL_ACCOUNT: Q(follows_official_account=True) & ~Q(wechat_openid=""),
    ChannelCondition.HAS_WECHAT_OPENID: ~Q(wechat_openid=""),
    ChannelCondition.HAS_ALIPAY_ID: ~Q(alipay_user_id=""),
    ChannelCondition.HAS_PHONE: Q(phone_length__gt=0),
    ChannelCondition.ALWAYS: Q(pk__isnull=False),
}


def channel_expression(campaign: Campaign) -> Case | Value:
    """Each member's channel as one SQL CASE: the first rule the member meets whose channel has a message.

    With no rules, SMS when there is an SMS text, else the inbox; a campaign without texts gives no channel.
    """
    written = set(campaign.messages.values_list("channel", flat=True))
    rules = [(rule.condition, rule.channel) for rule in campaign.channel_rules.order_by("position", "pk")
             if rule.channel in written]
    if not rules:
        fallback = Channel.SMS if Channel.SMS in written else Channel.INBOX if Channel.INBOX in written else ""
        return Value(fallback)
    return Case(*[When(CONDITIONS[condition], then=Value(channel)) for condition, channel in rules], default=Value(""))


def with_channel(members, campaign: Campaign):
    return members.annotate(phone_length=Length("phone"), send_channel=channel_expression(campaign))
