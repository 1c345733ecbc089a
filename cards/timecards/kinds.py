"""Time cards in the usable-card registry (loyalty.usable_cards): scanned, used and listed like every kind."""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from cards.timecards import errors, services
from cards.timecards.models import IdentityPhoto, TimeCard
from loyalty.errors import DomainError
from loyalty.usable_cards import CardSummary, RecordedUse, UsableCardKind, merchant_today


def remaining_text(standing: services.Standing) -> str:
    if standing.days_left:
        text = _("%(n)d days left") % {"n": standing.days_left}
        if standing.waiting_days:
            text += " " + _("(+%(n)d days from the first use after that)") % {"n": standing.waiting_days}
        return text
    if standing.waiting_days:
        return _("%(n)d days, starting on the first use") % {"n": standing.waiting_days}
    return _("no days left")


def validity_text(standing: services.Standing, card: TimeCard) -> str:
    if standing.ends_on:
        return _("%(start)s to %(end)s") % {"start": standing.starts_on, "end": standing.ends_on}
    if card.tier.activate_by:
        return _("starts on the first use, at the latest on %(day)s") % {"day": card.tier.activate_by}
    return _("starts on the first use")


class TimeCardKind(UsableCardKind):
    code = "time"
    label = gettext_lazy("time card")
    order = 20
    permission = "timecards.use_timecard"
    error_codes = (errors.ONE_USE_AT_A_TIME, errors.WRONG_STORE, errors.MEMBER_FROZEN, errors.NOT_ACTIVE,
                   errors.NOT_STARTED, errors.EXPIRED, errors.DAILY_LIMIT_REACHED, errors.PHOTO_MISSING,
                   errors.IDENTITY_NOT_CONFIRMED)

    def answer_fields(self):
        return {
            "days_left": serializers.IntegerField(help_text=_("Time cards: days left, today included.")),
            "waiting_days": serializers.IntegerField(help_text=_("Time cards: days bought that begin later.")),
            "daily_limit": serializers.IntegerField(allow_null=True, help_text=_(
                "Time cards: visits a day, null when unlimited.")),
            "one_at_a_time": serializers.BooleanField(help_text=_("Time cards: a use records one visit.")),
            "identity_check": serializers.BooleanField(help_text=_("Time cards: the cashier compares a photo.")),
            "has_photo": serializers.BooleanField(),
            "photo_url": serializers.CharField(help_text=_("Time cards: the photo in the admin, for staff.")),
        }

    def shelf_url(self, merchant) -> str:
        return reverse("timecards:shelf", args=[merchant.slug])

    def get(self, merchant, card_id):
        return (TimeCard.objects.select_related("product", "tier", "member", "merchant")
                .filter(merchant_id=merchant.pk, pk=card_id).first())

    def summary(self, card: TimeCard, *, chain: list[TimeCard] | None = None) -> CardSummary:
        today = merchant_today(card.merchant)
        if chain is None:
            chain = list(TimeCard.objects.filter(member_id=card.member_id, product_id=card.product_id,
                                                 status=TimeCard.Status.ACTIVE).select_related("tier"))
        standing = services.standing(chain, today)
        usable = card.status == TimeCard.Status.ACTIVE and (standing.current is not None or (
            standing.waiting_days > 0 and not standing.days_left))
        settings = services.read_settings(card.merchant_id)
        photo = IdentityPhoto.objects.filter(member_id=card.member_id, product_id=card.product_id).first()
        tier = (standing.current or card).tier
        return CardSummary(
            kind=self.code, card_id=card.pk, name=card.product.name, member_id=card.member_id,
            member_name=card.member.name, member_phone=card.member.masked_phone, remaining=remaining_text(standing),
            validity=validity_text(standing, card), status=card.get_status_display(), usable=usable,
            detail_url=reverse("timecards:detail", args=[card.merchant.slug, card.pk]),
            extra={"days_left": standing.days_left, "waiting_days": standing.waiting_days,
                   "daily_limit": tier.daily_limit, "one_at_a_time": True,
                   "identity_check": settings.identity_check, "has_photo": photo is not None,
                   "photo_url": reverse("admin:timecards_identityphoto_image", args=[photo.pk]) if photo else ""})

    def record_use(self, card, *, count, store, staff=None, terminal=None, used_by_phone="",
                   identity_confirmed=False) -> RecordedUse:
        if count != 1:
            raise DomainError(errors.ONE_USE_AT_A_TIME, _("A time card records one visit at a time."), field="count")
        use = services.record_use(card, store=store, staff=staff, terminal=terminal,
                                  identity_confirmed=identity_confirmed)
        return RecordedUse(kind=self.code, use_id=use.pk, count=1, card=self.summary(use.card))

    def member_cards(self, member) -> list[CardSummary]:
        today = merchant_today(member.merchant)
        chains: dict[int, list[TimeCard]] = defaultdict(list)
        for card in (TimeCard.objects.filter(member=member, status=TimeCard.Status.ACTIVE)
                     .select_related("product", "tier", "member", "merchant").order_by("pk")):
            chains[card.product_id].append(card)
        summaries = []
        for chain in chains.values():
            standing = services.standing(chain, today)
            shown = standing.current or next((c for c in chain if c.ends_on is None or c.ends_on >= today), chain[-1])
            summaries.append(self.summary(shown, chain=chain))
        return sorted(summaries, key=lambda summary: not summary.usable)
