"""One row of a tenant per admin model of this app, for the tenant-isolation tests.

Every app's tests keep such a module (tests/<app>/admin_factories.py with a FACTORIES dict keyed by
the model's label_lower); tests/test_tenant_isolation_admin.py collects them all.
"""

from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType

from loyalty.messaging import queue_message
from loyalty.models import IdempotencyRecord
from merchants.models import JoinGift, MemberField, MemberTag, StaffAction
from merchants.services import create_segment


def _join_gift(t) -> JoinGift:
    gift = JoinGift.objects.create(merchant=t.merchant)
    gift.benefits.create(merchant=t.merchant, kind="points", quantity=50)
    return gift


def _staff_action(t):
    entry = LogEntry.objects.create(user=t.owner.user, content_type=ContentType.objects.get_for_model(t.store),
                                    object_id=str(t.store.pk), object_repr=str(t.store), action_flag=ADDITION,
                                    change_message="[]")
    return StaffAction.objects.get(pk=entry.pk)


FACTORIES = {
    "merchants.merchant": lambda t: t.merchant,
    "merchants.store": lambda t: t.store,
    "merchants.staffmember": lambda t: t.cashier,
    "merchants.terminal": lambda t: t.terminal,
    "merchants.member": lambda t: t.member,
    "merchants.membertag": lambda t: MemberTag.objects.create(merchant=t.merchant, name="secret-tag-a"),
    "merchants.memberfield": lambda t: MemberField.objects.create(merchant=t.merchant, key="secret_a",
                                                                  label="Secret A"),
    "merchants.staffaction": _staff_action,
    "merchants.joingift": _join_gift,
    "merchants.segment": lambda t: create_segment(t.merchant, name="secret A segment", clauses=[
        ("tag", {"tag": MemberTag.objects.create(merchant=t.merchant, name="segment-tag-a").pk})]),
    "loyalty.outboxmessage": lambda t: queue_message(t.merchant, t.member.phone, "hello from A"),
    "loyalty.idempotencyrecord": lambda t: IdempotencyRecord.objects.create(
        scope=f"terminal:{t.terminal.pk}", key="k-a", request_hash="0" * 64),
}
