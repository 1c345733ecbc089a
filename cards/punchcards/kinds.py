"""Punch cards in the usable-card registry (loyalty.usable_cards): scanned, used and listed like every kind."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from cards.punchcards import errors, services
from cards.punchcards.models import PunchCard
from loyalty.usable_cards import CardSummary, RecordedUse, UsableCardKind, merchant_today


def remaining_text(card: PunchCard) -> str:
    return _("unlimited uses") if card.unlimited else _("%(n)d uses left") % {"n": card.uses_left}


def validity_text(card: PunchCard) -> str:
    if card.valid_from is None:
        return _("%(days)d days from the first use") % {"days": card.product.valid_days or 0}
    return _("%(start)s to %(end)s") % {"start": card.valid_from, "end": card.valid_until}


class PunchCardKind(UsableCardKind):
    code = "punch"
    label = gettext_lazy("punch card")
    order = 10
    permission = "punchcards.use_punchcard"
    error_codes = (errors.CARD_NOT_ACTIVE, errors.MEMBER_FROZEN, errors.CARD_NOT_STARTED, errors.CARD_EXPIRED,
                   errors.WRONG_STORE, errors.NOT_ENOUGH_USES, errors.CO_USER_UNKNOWN, errors.CO_USER_LIMIT_REACHED)

    def answer_fields(self):
        return {
            "uses_left": serializers.IntegerField(allow_null=True, help_text=_("Punch cards: null when unlimited.")),
            "services": serializers.CharField(help_text=_("Punch cards: the services the card covers.")),
            "co_users": serializers.ListField(child=serializers.CharField(),
                                              help_text=_("Punch cards: the co-users' phones.")),
        }

    def shelf_url(self, merchant) -> str:
        return reverse("punchcards:shelf", args=[merchant.slug])

    def get(self, merchant, card_id):
        return (PunchCard.objects.select_related("product", "member", "merchant")
                .filter(merchant_id=merchant.pk, pk=card_id).first())

    def summary(self, card: PunchCard) -> CardSummary:
        today = merchant_today(card.merchant)
        usable = (card.status == PunchCard.Status.ACTIVE and (card.unlimited or card.uses_left > 0)
                  and not (card.valid_until and today > card.valid_until)
                  and not (card.valid_from and today < card.valid_from))
        return CardSummary(
            kind=self.code, card_id=card.pk, name=card.product.name, member_id=card.member_id,
            member_name=card.member.name, member_phone=card.member.masked_phone, remaining=remaining_text(card),
            validity=validity_text(card), status=card.get_status_display(), usable=usable,
            detail_url=reverse("punchcards:detail", args=[card.merchant.slug, card.pk]),
            extra={"uses_left": None if card.unlimited else card.uses_left, "services": card.product.services,
                   "co_users": [c.phone for c in services.active_co_users(card)]})

    def record_use(self, card, *, count, store, staff=None, terminal=None, used_by_phone="",
                   identity_confirmed=False) -> RecordedUse:
        use = services.record_use(card, store=store, count=count, staff=staff, terminal=terminal,
                                  used_by_phone=used_by_phone)
        card.refresh_from_db()
        return RecordedUse(kind=self.code, use_id=use.pk, count=use.count, card=self.summary(card))

    def member_cards(self, member) -> list[CardSummary]:
        cards = list(services.cards_of(member).select_related("member", "merchant"))
        shared = list(services.shared_with(member).select_related("merchant"))
        summaries = [self.summary(card) for card in [*cards, *shared]]
        return sorted(summaries, key=lambda summary: not summary.usable)
