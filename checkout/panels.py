"""The member 360 page's visits: the latest payments, where and how much."""

from __future__ import annotations

from django.db.models import Count, Max, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from checkout.models import Payment
from loyalty.member_panels import MemberPanel, Panel
from loyalty.money import ZERO, money_text

RECENT = 10


class VisitsPanel(MemberPanel):
    code = "checkout.visits"
    order = 50
    permission = "checkout.view_payment"

    def panel(self, member, request):
        paid = Payment.objects.filter(member=member, status__in=[
            Payment.Status.PAID, Payment.Status.PARTLY_REFUNDED, Payment.Status.REFUNDED])
        totals = paid.aggregate(visits=Count("pk"), due=Sum("amount_due"), refunded=Sum("refunded_amount"),
                                last=Max("created_at"))
        spent = (totals["due"] or ZERO) - (totals["refunded"] or ZERO)
        latest = Payment.objects.filter(member=member).select_related("store").order_by("-created_at", "-pk")
        rows = [[timezone.localtime(p.created_at).strftime("%Y-%m-%d %H:%M"), p.store, p.get_status_display(),
                 money_text(p.bill_amount), money_text(p.amount_due), p.number] for p in latest[:RECENT]]
        last = timezone.localtime(totals["last"]).strftime("%Y-%m-%d") if totals["last"] else "—"
        return Panel(_("Recent visits"), figures=[
            (_("visits"), totals["visits"]), (_("paid in total, less refunds"), f"¥{money_text(spent)}"),
            (_("last visit"), last)],
            headers=[_("time"), _("store"), _("status"), _("bill"), _("paid"), _("payment")], rows=rows,
            empty=_("No visits yet."),
            links=[(_("All of the member's payments"), reverse("admin:checkout_payment_changelist")
                    + f"?q={member.phone}")])
