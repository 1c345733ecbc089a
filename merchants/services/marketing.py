"""Consent and pressure: who accepts marketing messages, the frequency caps and the quiet hours.

Every marketing send path asks these (campaigns and the mass-send notice) and writes its texts, each with the
member's opt-out link, through `write_marketing_messages`; transactional messages (login codes, notices about a
member's own balance or coupons) never do.

Caps count in calendar periods of the merchant's zone (a day; a week from Monday; a month from the 1st),
not rolling windows: one counter row per member, channel and period, moved by one conditional upsert
(`count < limit`), is atomic across concurrent sends of any campaign with no reservation rows to scan.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.errors import DomainError
from loyalty.models import OutboxMessage
from merchants import errors
from merchants.models import (
    CapPeriod,
    FrequencyCap,
    MarketingConsentChange,
    MarketingSettings,
    Member,
    Merchant,
)

How = MarketingConsentChange.How
UPSERT_CHUNK = 400  # rows per statement on databases without arrays (SQLite's parameter limit)
MESSAGE_TASK_BATCH = 500  # outbox messages a delivery task


def accepting_marketing(members: QuerySet) -> QuerySet:
    """Only the members who have not opted out of marketing."""
    return members.filter(marketing_opt_out_at__isnull=True)


@transaction.atomic
def set_marketing_consent(member: Member, *, accepts: bool, how: str, staff=None) -> bool:
    """Record that the member accepts (or refuses) marketing messages; True when it changed anything."""
    if how not in How.values:
        raise DomainError(errors.CONSENT_HOW_INVALID, _("Say how the member gave or withdrew consent."), field="how")
    now = timezone.now()
    members = Member.objects.filter(pk=member.pk)
    if accepts:
        changed = members.filter(marketing_opt_out_at__isnull=False).update(marketing_opt_out_at=None)
    else:
        changed = members.filter(marketing_opt_out_at__isnull=True).update(marketing_opt_out_at=now)
    if changed:
        MarketingConsentChange.objects.create(merchant_id=member.merchant_id, member=member, opted_in=accepts,
                                              how=how, staff=staff, created_at=now)
        member.marketing_opt_out_at = None if accepts else now
    return bool(changed)


@functools.cache
def _signer(secret: str) -> hmac.HMAC:
    return hmac.new(secret.encode(), b"marketing-opt-out:", hashlib.sha256)


def _signature(member_id: int) -> str:
    """64 bits of HMAC-SHA256 over the member id: short enough for an SMS, far too many to guess."""
    digest = _signer(settings.SECRET_KEY).copy()
    digest.update(str(member_id).encode())
    return digest.hexdigest()[:16]


def opt_out_token(member_id: int) -> str:
    """A short signed token naming the member, for the opt-out link in each marketing SMS (it never expires)."""
    return f"{member_id}-{_signature(member_id)}"


def member_for_opt_out_token(merchant: Merchant, token: str) -> Member:
    member_id, _dash, signature = token.partition("-")
    member = None
    if member_id.isdigit() and hmac.compare_digest(signature, _signature(int(member_id))):
        member = Member.objects.filter(merchant=merchant, pk=int(member_id)).first()
    if member is None:
        raise DomainError(errors.OPT_OUT_LINK_INVALID, _("This opt-out link is not valid."), field="token",
                          status_code=404)
    return member


def quiet_hours_end(merchant: Merchant, at: datetime.datetime) -> datetime.datetime | None:
    """When a marketing message due at `at` may go: None if now, else the end of the merchant's quiet hours.

    Quiet hours that cross midnight (21:00 to 09:00) are the usual case; equal ends mean none.
    """
    quiet = MarketingSettings.objects.filter(merchant=merchant).first()
    if quiet is None or quiet.quiet_from is None or quiet.quiet_until is None or quiet.quiet_from == quiet.quiet_until:
        return None
    local = timezone.localtime(at, merchant.zone)
    now = local.time()
    start, end = quiet.quiet_from, quiet.quiet_until
    inside = (start <= now < end) if start < end else (now >= start or now < end)
    if not inside:
        return None
    day = local.date() if now < end else local.date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, end, tzinfo=merchant.zone)


def period_start(period: str, day: datetime.date) -> datetime.date:
    if period == CapPeriod.DAY:
        return day
    if period == CapPeriod.WEEK:
        return day - datetime.timedelta(days=day.weekday())
    return day.replace(day=1)


def reserve_messages(merchant: Merchant, *, channel: str, member_ids: list[int],
                     at: datetime.datetime) -> list[int]:
    """Reserve one marketing message on `channel` for each member still under the merchant's cap; return them.

    Runs in the caller's transaction, so a send rolled back gives its reservations back. Without a cap on the
    channel everybody passes and nothing is written.
    """
    cap = FrequencyCap.objects.filter(merchant=merchant, channel=channel).first()
    ids = sorted(set(member_ids))
    if cap is None or not ids:
        return ids
    start = period_start(cap.period, timezone.localtime(at, merchant.zone).date())
    table = "merchants_frequencycounter"
    upsert = ("ON CONFLICT (member_id, channel, period_start) DO UPDATE SET count = c.count + 1 "
              "WHERE c.count < %s RETURNING member_id")
    passed: list[int] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} AS c (merchant_id, member_id, channel, period_start, count) "
                f"SELECT %s, m, %s, %s, 1 FROM unnest(%s::bigint[]) AS m {upsert}",
                [merchant.pk, channel, start, ids, cap.limit])
            passed = [row[0] for row in cursor.fetchall()]
        else:
            for offset in range(0, len(ids), UPSERT_CHUNK):
                chunk = ids[offset:offset + UPSERT_CHUNK]
                values = ", ".join(["(%s, %s, %s, %s, 1)"] * len(chunk))
                params: list = []
                for member_id in chunk:
                    params += [merchant.pk, member_id, channel, start]
                # "WHERE true" keeps SQLite's parser from reading ON CONFLICT as a join constraint.
                cursor.execute(f"INSERT INTO {table} AS c (merchant_id, member_id, channel, period_start, count) "
                               f"SELECT * FROM (VALUES {values}) WHERE true {upsert}", [*params, cap.limit])
                passed += [row[0] for row in cursor.fetchall()]
    return sorted(passed)


def opt_out_url(member_id: int) -> str:
    """The member's own opt-out page, as an absolute address to put in a text."""
    prefix, suffix = opt_out_url_parts()
    return f"{prefix}{opt_out_token(member_id)}{suffix}"


def opt_out_url_parts() -> tuple[str, str]:
    """The opt-out address around the member's token: a batch reverses the URL once, then signs each member."""
    prefix, _token, suffix = reverse("marketing_opt_out", args=["~"]).partition("~")
    return settings.PUBLIC_BASE_URL.rstrip("/") + prefix, suffix


def write_marketing_messages(merchant_id: int, rows: list[tuple[int, str, str, str, str]], *, link: str = "",
                             not_before: datetime.datetime | None, now: datetime.datetime,
                             task_batch: int = MESSAGE_TASK_BATCH) -> list[int]:
    """Write a batch of marketing messages, (member, channel, recipient, title, body) each, to the outbox and start
    their delivery after commit, a task per `task_batch` (unless they wait for quiet hours); return the new ids.

    The caller has checked consent and reserved the caps; every marketing send path (campaigns, the mass-send
    notice) writes through here. One statement a batch on Postgres (arrays unnested), a bulk insert elsewhere.
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        members, channels, recipients, titles, bodies = (list(column) for column in zip(*rows, strict=True))
        with connection.cursor() as cursor:
            cursor.execute("""
                INSERT INTO loyalty_outboxmessage (merchant_id, channel, kind, member_id, recipient, title, body, link,
                                                   not_before, status, attempts, provider_reference, error, created_at)
                SELECT %s, c, %s, m, r, t, b, %s, %s, %s, 0, '', '', %s
                FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) AS u(m, c, r, t, b)
                RETURNING id
            """, [merchant_id, OutboxMessage.Kind.MARKETING, link, not_before, OutboxMessage.Status.QUEUED, now,
                  members, channels, recipients, titles, bodies])
            ids = [row[0] for row in cursor.fetchall()]
    else:
        created = OutboxMessage.objects.bulk_create(
            [OutboxMessage(merchant_id=merchant_id, channel=channel, kind=OutboxMessage.Kind.MARKETING,
                           member_id=member_id, recipient=recipient, title=title, body=body, link=link,
                           not_before=not_before)
             for member_id, channel, recipient, title, body in rows], batch_size=MESSAGE_TASK_BATCH)
        ids = [message.pk for message in created]
    if not_before is None:
        # Held for quiet hours otherwise: the outbox's dispatcher sends them once not_before has passed.
        from loyalty.tasks import deliver_outbox_messages

        for start in range(0, len(ids), task_batch):
            batch = ids[start:start + task_batch]
            transaction.on_commit(lambda batch=batch: deliver_outbox_messages.delay(batch))
    return ids
