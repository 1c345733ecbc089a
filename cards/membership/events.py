"""The membership card's events (loyalty.events): the programme and its levels changed. Points are in the ledger."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from cards.membership.models import Level, MembershipCard, MembershipProgram
from loyalty.events import Changes, EventKind, record_event
from loyalty.models import Event

PROGRAMME_CHANGED = EventKind("membership_programme.changed", _("membership programme changed"))
LEVEL_CHANGED = EventKind("level.changed", _("membership level changed"))

MEMBER_LEVEL_CHANGED = EventKind("membership_card.level_changed", _("member's level changed"))

KINDS = [MEMBER_LEVEL_CHANGED, PROGRAMME_CHANGED, LEVEL_CHANGED]


def programme_changed(programme: MembershipProgram, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    """How members earn, spend and keep points and levels changed."""
    return record_event(PROGRAMME_CHANGED, programme, staff=staff, data=changes.as_data())


def level_changed(level: Level, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    """A level's threshold, member price or multiplier changed (or a level was added or deleted)."""
    return record_event(LEVEL_CHANGED, level, staff=staff, data=changes.as_data())


def member_level_changed(card: MembershipCard, *, before: Level | None, after: Level | None) -> Event:
    """A member's card moved to another level as it happened (a payment or experience crossed a threshold).
    Periodic reviews move many cards in one UPDATE and write no event per card."""
    return record_event(MEMBER_LEVEL_CHANGED, card, member_id=card.member_id,
                        data={"changes": {"level": [before.pk if before else None, after.pk if after else None]},
                              "level_name": after.name if after else ""})
