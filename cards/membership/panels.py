"""The member 360 page's card part: level, points, experience and the latest points entries."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.membership.models import MembershipCard, PointsEntry
from loyalty.member_panels import MemberPanel, Panel
from loyalty.money import money_text

RECENT = 10


class MembershipCardPanel(MemberPanel):
    code = "membership.card"
    order = 20
    permission = "membership.view_membershipcard"

    def panel(self, member, request):
        card = MembershipCard.objects.filter(member=member).select_related("level").first()
        if card is None:
            return None
        entries = PointsEntry.objects.filter(card=card).order_by("-created_at", "-pk")[:RECENT]
        rows = [[timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M"), e.get_reason_display(),
                 f"{e.delta:+d}", e.balance_after] for e in entries]
        return Panel(_("Membership card"), figures=[
            (_("level"), card.level.name if card.level else "—"), (_("points"), card.points),
            (_("experience"), card.experience), (_("spent in total"), f"¥{money_text(card.total_spend)}")],
            headers=[_("time"), _("reason"), _("change"), _("points after")], rows=rows, empty=_("No points yet."),
            links=[(_("The card"), reverse("admin:membership_membershipcard_change", args=[card.pk]))])
