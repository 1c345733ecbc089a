"""The member export's stored-value columns: principal, bonus and cashback, read in the export's own statement."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from loyalty.exports import Column, ExportColumns
from loyalty.money import ZERO


class MemberWalletColumns(ExportColumns):
    code = "wallet.member_wallet"
    model = "merchants.Member"
    order = 50

    def annotate(self, queryset: QuerySet) -> QuerySet:
        return queryset.annotate(export_principal=F("wallet__principal"), export_bonus=F("wallet__bonus"),
                                 export_cashback=F("wallet__cashback"))

    def columns(self, merchant) -> list[Column]:
        return [Column(_("stored value (principal)"), lambda member: member.export_principal or ZERO),
                Column(_("stored value (bonus)"), lambda member: member.export_bonus or ZERO),
                Column(_("cashback"), lambda member: member.export_cashback or ZERO)]
