"""The segment filters over the membership card: a member's level and the points they hold."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.membership.models import Level, MembershipCard
from loyalty.segments import Param, ParamKind, SegmentFilter, check_range, held_in_range, segment_filters


def _level_options(merchant_id: int | None) -> list[tuple[str, str]]:
    return [(str(pk), name) for pk, name in Level.objects.filter(merchant_id=merchant_id)
            .values_list("pk", "name")]


class AtLevel(SegmentFilter):
    code = "level"
    label = gettext_lazy("at a level")
    order = 60
    params = (Param("level", gettext_lazy("level"), ParamKind.CHOICE, options=_level_options),)

    def condition(self, params, *, merchant_id, at):
        return Q(Exists(MembershipCard.objects.filter(member=OuterRef("pk"), level_id=int(params["level"]))))

    def describe(self, params):
        name = Level.objects.filter(pk=params["level"]).values_list("name", flat=True).first() or "?"
        return _("at level “%(level)s”") % {"level": name}


class PointsHeld(SegmentFilter):
    """Points held now; a member without a card holds none."""

    code = "points_held"
    label = gettext_lazy("points held")
    order = 70
    params = (Param("at_least", gettext_lazy("at least"), ParamKind.INTEGER, required=False, min_value=0),
              Param("at_most", gettext_lazy("at most"), ParamKind.INTEGER, required=False, min_value=0))

    def check(self, params, *, merchant_id):
        return check_range(params)

    def condition(self, params, *, merchant_id, at):
        return held_in_range(MembershipCard.objects.filter(member=OuterRef("pk")), "points", params)

    def describe(self, params):
        return _("points held from %(low)s to %(high)s") % {"low": params.get("at_least", 0),
                                                            "high": params.get("at_most", "∞")}


def register() -> None:
    segment_filters.register(AtLevel())
    segment_filters.register(PointsHeld())
