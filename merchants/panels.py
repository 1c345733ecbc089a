"""The member 360 page's own parts: who the member is, and the messages sent to them."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from loyalty.member_panels import MemberPanel, Panel
from loyalty.models import OutboxMessage
from merchants.models import MemberField

RECENT = 10
_DIGITS = re.compile(r"\d{4,}")


class ProfilePanel(MemberPanel):
    code = "merchants.profile"
    order = 10

    def panel(self, member, request):
        figures = [(_("mobile number"), member.phone), (_("name"), member.name or "—"),
                   (_("status"), member.get_status_display()),
                   (_("joined at"), timezone.localtime(member.joined_at).strftime("%Y-%m-%d %H:%M")),
                   (_("joined at store"), member.source_store or "—"),
                   (_("tags"), "、".join(tag.name for tag in member.tags.all()) or "—")]
        attributes = member.custom_fields or {}
        for definition in MemberField.objects.filter(merchant_id=member.merchant_id, is_active=True):
            value = attributes.get(definition.key)
            if isinstance(value, list):
                value = "、".join(map(str, value))
            figures.append((definition.label, "—" if value in (None, "") else value))
        return Panel(_("Member"), figures=figures,
                     links=[(_("Edit the member"), reverse("admin:merchants_member_change", args=[member.pk]))])


class MessagesPanel(MemberPanel):
    code = "merchants.messages"
    order = 90
    permission = "loyalty.view_outboxmessage"

    def panel(self, member, request):
        messages = OutboxMessage.objects.filter(merchant_id=member.merchant_id, recipient=member.phone) \
            .order_by("-created_at")[:RECENT]
        rows = [[timezone.localtime(m.created_at).strftime("%Y-%m-%d %H:%M"), m.get_kind_display(),
                 m.get_status_display(),
                 # Staff must not read a member's login code over their shoulder (as in the outbox list).
                 _DIGITS.sub(lambda d: "•" * len(d.group()), m.body) if m.kind == OutboxMessage.Kind.LOGIN_CODE
                 else m.body] for m in messages]
        return Panel(_("Recent messages"), headers=[_("sent at"), _("kind"), _("status"), _("message")], rows=rows,
                     empty=_("No messages yet."),
                     links=[(_("All messages"), reverse("admin:loyalty_outboxmessage_changelist")
                             + f"?q={member.phone}")])
