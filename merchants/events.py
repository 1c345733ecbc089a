"""The merchants app's events (loyalty.events): staff roles, terminal keys and members changed by staff."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from loyalty.events import Changes, EventKind, record_event
from loyalty.models import Event
from merchants.models import JoinGift, Member, Segment, StaffMember, Terminal

STAFF_ROLE_CHANGED = EventKind("staff_member.role_changed", _("staff role changed"))
TERMINAL_REVOKED = EventKind("terminal.revoked", _("terminal key revoked"))
MEMBER_JOINED = EventKind("member.joined", _("member joined"))
MEMBER_CHANGED = EventKind("member.changed", _("member changed"))
MEMBER_FROZEN = EventKind("member.frozen", _("member frozen"))
MEMBER_UNFROZEN = EventKind("member.unfrozen", _("member unfrozen"))
JOIN_GIFT_CHANGED = EventKind("join_gift.changed", _("join gift changed"))
SEGMENT_CHANGED = EventKind("segment.changed", _("segment changed"))

KINDS = [MEMBER_JOINED, STAFF_ROLE_CHANGED, TERMINAL_REVOKED, MEMBER_CHANGED, MEMBER_FROZEN, MEMBER_UNFROZEN,
         JOIN_GIFT_CHANGED, SEGMENT_CHANGED]


def staff_role_changed(staff_member: StaffMember, *, by: AbstractBaseUser | None, before: str) -> Event:
    """A staff login now holds another role, so other permissions: who gave it matters."""
    return record_event(STAFF_ROLE_CHANGED, staff_member, staff=by,
                        data={"changes": {"role": [before, staff_member.role]}})


def terminal_revoked(terminal: Terminal, *, staff: AbstractBaseUser | None) -> Event:
    return record_event(TERMINAL_REVOKED, terminal, staff=staff, data={"store": terminal.store_id})


def member_changed(member: Member, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    """Staff edited a member in the admin. Freezing or unfreezing is its own kind (a receiver acts on it);
    the event still lists every field the same save changed."""
    kind = MEMBER_CHANGED
    if "status" in changes.fields and not changes.created:
        kind = MEMBER_FROZEN if changes.fields["status"][1] == Member.Status.FROZEN else MEMBER_UNFROZEN
    return record_event(kind, member, staff=staff, member=member, data=changes.as_data())


def join_gift_changed(gift: JoinGift, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    """What every new member gets changed: worth knowing who did it when the cost of joining moves."""
    return record_event(JOIN_GIFT_CHANGED, gift, staff=staff, data=changes.as_data())


def segment_changed(segment: Segment, *, staff: AbstractBaseUser | None, changes: Changes) -> Event:
    """A saved segment's conditions changed: mass sends and campaigns that use it now reach other members."""
    return record_event(SEGMENT_CHANGED, segment, staff=staff, data=changes.as_data())


def member_joined(member: Member) -> Event:
    """A visitor became a member (领卡/入会): the CRM's cue to create the customer."""
    return record_event(MEMBER_JOINED, member, member=member, new_subject=True,
                        data={"phone": member.phone, "name": member.name, "source_store": member.source_store_id,
                              "referrer": member.referrer_id})
