"""The member 360 page's coupons part: what the member holds now and their latest coupons."""

from __future__ import annotations

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from coupons.models import Coupon
from loyalty.member_panels import MemberPanel, Panel

RECENT = 10


class CouponsPanel(MemberPanel):
    code = "coupons.coupons"
    order = 40
    permission = "coupons.view_coupon"

    def panel(self, member, request):
        coupons = Coupon.objects.filter(member=member)
        by_state = dict(coupons.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
        rows = [[c.display_code, c.template.name, c.get_state_display(),
                 timezone.localtime(c.valid_until).strftime("%Y-%m-%d") if c.valid_until else "—"]
                for c in coupons.select_related("template").order_by("-pk")[:RECENT]]
        return Panel(_("Coupons"), figures=[
            (_("available"), by_state.get(Coupon.State.AVAILABLE, 0)), (_("used"), by_state.get(Coupon.State.USED, 0)),
            (_("expired"), by_state.get(Coupon.State.EXPIRED, 0))],
            headers=[_("code"), _("template"), _("state"), _("valid until")], rows=rows, empty=_("No coupons yet."),
            links=[(_("All of the member's coupons"), reverse("admin:coupons_coupon_changelist")
                    + f"?q={member.phone}")])
