from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from cards.punchcards import events, services
from cards.punchcards.models import (
    CoUser,
    PunchCard,
    PunchCardEntry,
    PunchCardProduct,
    PunchCardProductBenefit,
    PunchCardSettings,
    PunchCardUse,
)
from loyalty.admin import ChangeEventsAdmin, EventHistoryAdmin
from loyalty.benefit_admin import BenefitLineInline, BenefitOwnerAdminMixin
from loyalty.card_admin import CardActionsAdmin, CardProductFiguresAdmin
from loyalty.errors import DomainError
from loyalty.tenancy import MerchantScopedAdmin, ReadOnlyAdminMixin, scope_queryset, staff_merchant
from loyalty.usable_cards import MAX_USES_AT_ONCE, card_kinds, find_card, member_cards
from merchants.models import Member, Store


@admin.register(PunchCardSettings)
class PunchCardSettingsAdmin(ChangeEventsAdmin, MerchantScopedAdmin):
    change_event = staticmethod(events.punch_card_settings_changed)
    list_display = ["__str__", "refund_policy", "undo_minutes", "merchant"]

    def has_delete_permission(self, request, obj=None):
        return False


class ProductBenefitInline(BenefitLineInline):
    model = PunchCardProductBenefit


@admin.register(PunchCardProduct)
class PunchCardProductAdmin(CardProductFiguresAdmin, ChangeEventsAdmin, BenefitOwnerAdminMixin, MerchantScopedAdmin):
    product_figures = staticmethod(services.product_figures)
    change_event = staticmethod(events.punch_card_product_changed)
    list_display = ["name", "uses", "price", "validity", "on_sale", "sold", "revenue", "uses_made",
                    "active_holders", "liability", "merchant"]
    list_filter = ["on_sale", "validity", "merchant"]
    search_fields = ["name", "services"]
    filter_horizontal = ["stores"]
    readonly_fields = ["figures"]
    inlines = [ProductBenefitInline]
    fieldsets = [
        (None, {"fields": ["merchant", "name", "cover", "services", "uses", "price", "on_sale"]}),
        (_("Validity"), {"fields": ["validity", "valid_from", "valid_until", "valid_days"]}),
        (_("Where and by whom"), {"fields": ["stores", "per_member_limit", "co_user_limit", "per_co_user_uses"]}),
        (_("Figures"), {"fields": ["figures"]}),
    ]


class SellForm(forms.Form):
    phone = forms.CharField(label=_("member's phone"), max_length=20)
    product = forms.ModelChoiceField(label=_("punch card product"), queryset=PunchCardProduct.objects.none())
    store = forms.ModelChoiceField(label=_("store"), queryset=Store.objects.none())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = scope_queryset(PunchCardProduct.objects.all(), user)
        self.fields["store"].queryset = scope_queryset(Store.objects.all(), user)


class FindCardForm(forms.Form):
    code = forms.CharField(label=_("card code or member's phone"), max_length=120)
    store = forms.ModelChoiceField(label=_("store"), queryset=Store.objects.none())

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = scope_queryset(Store.objects.all(), user)


class CoUserInline(admin.TabularInline):
    model = CoUser
    fields = ["phone", "name", "uses_count", "added_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PunchCard)
class PunchCardAdmin(CardActionsAdmin, EventHistoryAdmin, MerchantScopedAdmin):
    card_services = services
    refund_permission = "punchcards.refund_punchcard"
    list_display = ["pk", "product", "member", "status", "source", "uses_left", "uses_total", "price_paid",
                    "valid_from", "valid_until", "store", "created_at", "merchant"]
    list_filter = ["status", "source", "product", "store", "merchant"]
    search_fields = ["member__phone", "member__name", "co_users__phone"]
    list_select_related = ["product", "member", "store"]
    date_hierarchy = "created_at"
    actions = ["export_csv", "void", "refund"]
    inlines = [CoUserInline]
    change_list_template = "punchcards/admin/card_changelist.html"
    ordering = ["-pk"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def get_urls(self):
        return [path("sell/", self.admin_site.admin_view(self.sell_view), name="punchcards_punchcard_sell"),
                path("redeem/", self.admin_site.admin_view(self.redeem_view), name="punchcards_punchcard_redeem"),
                *super().get_urls()]

    def sell_view(self, request):
        """A cash sale at the counter (现金售卡): the member by phone, the product, the store."""
        if not request.user.has_perm("punchcards.add_punchcard"):
            raise PermissionDenied
        form = SellForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            product, store = form.cleaned_data["product"], form.cleaned_data["store"]
            member = Member.objects.filter(merchant_id=product.merchant_id,
                                           phone=form.cleaned_data["phone"].strip()).first()
            if member is None:
                form.add_error("phone", _("There is no member with this phone."))
            else:
                try:
                    card = services.sell_card(product, member, store=store, staff=request.user)
                except DomainError as error:
                    form.add_error(None, str(error.message))
                else:
                    self.message_user(request, _("%(card)s sold to %(member)s.") % {"card": card, "member": member},
                                      messages.SUCCESS)
                    return redirect("admin:punchcards_punchcard_change", card.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Sell a punch card"),
                   "opts": self.model._meta}
        return TemplateResponse(request, "punchcards/admin/sell.html", context)

    def redeem_view(self, request):
        """核销 at the counter, for every card kind: scan the card's code or type the member's phone, see the
        card and the member, then confirm the use."""
        merchant = staff_merchant(request.user)
        kinds = [kind for kind in card_kinds.all() if request.user.has_perm(kind.permission)]
        if not kinds:
            raise PermissionDenied
        form = FindCardForm(request.POST or request.GET or None, user=request.user)
        found = []
        if request.POST.get("confirm") and form.is_valid():
            if self._confirm(request, form, merchant or form.cleaned_data["store"].merchant, kinds):
                return redirect(f"{request.path}?store={form.cleaned_data['store'].pk}")
        if form.is_bound and form.is_valid():
            found = self._find(form, merchant or form.cleaned_data["store"].merchant, kinds)
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Record a card use"),
                   "opts": self.model._meta, "found": found, "most": MAX_USES_AT_ONCE}
        return TemplateResponse(request, "punchcards/admin/redeem.html", context)

    @staticmethod
    def _find(form, merchant, kinds) -> list:
        text = form.cleaned_data["code"].strip()
        codes = {kind.code for kind in kinds}
        if text.upper().startswith("C"):
            try:
                kind, card = find_card(merchant, text)
            except DomainError as error:
                form.add_error("code", str(error.message))
                return []
            if kind.code not in codes:
                form.add_error("code", _("You may not record uses of this card."))
                return []
            return [kind.summary(card)]
        member = Member.objects.filter(merchant=merchant, phone=text).first()
        if member is None:
            form.add_error("code", _("There is no member with this phone."))
            return []
        cards = [summary for summary in member_cards(member) if summary.kind in codes and summary.usable]
        if not cards:
            form.add_error("code", _("This member has no card that can be used now."))
        return cards

    def _confirm(self, request, form, merchant, kinds) -> bool:
        by_code = {kind.code: kind for kind in kinds}
        kind = by_code.get(request.POST.get("kind", ""))
        card_id = request.POST.get("card", "")
        card = kind.get(merchant, int(card_id)) if kind is not None and card_id.isdigit() else None
        if card is None:
            form.add_error("code", _("This is not a valid card code."))
            return False
        try:
            count = int(request.POST.get("count") or 1)
            recorded = kind.record_use(card, count=count, store=form.cleaned_data["store"], staff=request.user,
                                       used_by_phone=request.POST.get("used_by_phone", ""),
                                       identity_confirmed=bool(request.POST.get("identity_confirmed")))
        except ValueError:
            form.add_error("code", _("Enter a whole number of uses from 1 to %(most)d.") % {"most": MAX_USES_AT_ONCE})
            return False
        except DomainError as error:
            form.add_error("code", str(error.message))
            return False
        self.message_user(request, _("Use recorded: %(card)s, %(left)s.") % {
            "card": recorded.card.name, "left": recorded.card.remaining}, messages.SUCCESS)
        return True


USE_COLUMNS = ["used_at", "card", "product", "member", "used_by", "count", "store", "staff", "terminal",
               "undone_at", "undone_by"]


@admin.register(PunchCardUse)
class PunchCardUseAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    """Usage detail (消费明细), exported as CSV or Excel."""

    list_display = USE_COLUMNS + ["merchant"]
    list_filter = ["product", "store", "merchant"]
    search_fields = ["member__phone", "co_user__phone"]
    list_select_related = ["card__product", "product", "member", "co_user", "store", "staff", "terminal",
                           "undone_by"]
    date_hierarchy = "used_at"
    csv_fields = USE_COLUMNS
    actions = ["export_csv", "undo"]  # Excel comes with the CSV export

    @admin.display(description=_("used by"))
    def used_by(self, obj):
        return obj.used_by

    @admin.action(description=_("Undo the selected uses"))
    def undo(self, request, queryset):
        if not request.user.has_perm("punchcards.undo_punchcarduse"):
            raise PermissionDenied
        done = 0
        for use in queryset.select_related("card"):
            try:
                services.undo_use(use, staff=request.user)
                done += 1
            except DomainError as error:
                self.message_user(request, f"{use}: {error.message}", messages.WARNING)
        self.message_user(request, _("%(count)d use(s) undone.") % {"count": done}, messages.SUCCESS)


@admin.register(PunchCardEntry)
class PunchCardEntryAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["created_at", "card", "reason", "delta", "balance_after", "reference", "store", "staff",
                    "merchant"]
    list_filter = ["reason", "merchant"]
    search_fields = ["reference", "card__member__phone"]
    list_select_related = ["card__product", "store", "staff"]
    date_hierarchy = "created_at"


@admin.register(CoUser)
class CoUserAdmin(ReadOnlyAdminMixin, MerchantScopedAdmin):
    list_display = ["phone", "name", "card", "uses_count", "added_at", "merchant"]
    search_fields = ["phone", "card__member__phone"]
    list_select_related = ["card__product"]
