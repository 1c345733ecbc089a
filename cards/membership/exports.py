"""The member export's card columns: level, points and experience, read in the export's own statement."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from loyalty.exports import Column, ExportColumns


class MemberCardColumns(ExportColumns):
    code = "membership.member_card"
    model = "merchants.Member"
    order = 30

    def annotate(self, queryset: QuerySet) -> QuerySet:
        return queryset.annotate(export_level=F("membership_card__level__name"),
                                 export_points=F("membership_card__points"),
                                 export_experience=F("membership_card__experience"))

    def columns(self, merchant) -> list[Column]:
        return [Column(_("level"), lambda member: member.export_level),
                Column(_("points"), lambda member: member.export_points or 0),
                Column(_("experience"), lambda member: member.export_experience or 0)]
