"""The member's inbox (站内信) on the member pages: messages on the inbox channel, and a copy of the marketing
messages sent to the member on the other channels (an SMS or a WeChat message is gone once read on the phone;
the offer and its link stay here). Login codes and service notices are not kept here: they are for the moment."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from loyalty.models import OutboxMessage
from merchants.models import Member


def inbox_messages(member: Member) -> QuerySet[OutboxMessage]:
    """The member's messages, newest first: only delivered ones, so a message waiting for quiet hours to end
    does not show before it is sent (served by the outbox's member/channel/created_at index)."""
    return (OutboxMessage.objects.filter(merchant_id=member.merchant_id, member=member,
                                         status=OutboxMessage.Status.SENT)
            .filter(Q(channel=OutboxMessage.Channel.INBOX) | Q(kind=OutboxMessage.Kind.MARKETING))
            .order_by("-created_at", "-pk"))


def unread_inbox_count(member: Member) -> int:
    return inbox_messages(member).filter(read_at__isnull=True).count()


def open_inbox_message(member: Member, message_id: int) -> OutboxMessage | None:
    """The member opens one of their messages: it is read from now on (once: a second open keeps the first
    time). None for a message that is not theirs, as if it did not exist."""
    message = inbox_messages(member).filter(pk=message_id).first()
    if message is not None and message.read_at is None:
        now = timezone.now()
        OutboxMessage.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        message.read_at = now
    return message


def mark_inbox_read(member: Member) -> int:
    """"Mark all as read": one UPDATE of the member's unread messages."""
    return inbox_messages(member).filter(read_at__isnull=True).update(read_at=timezone.now())
