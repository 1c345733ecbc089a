"""Forms for member pages and the admin; merchant-defined attributes become form fields here."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from loyalty.errors import DomainError
from loyalty.segments import Param, ParamKind, SegmentFilter, segment_filters
from merchants.models import Member, MemberField, Merchant, SegmentClause
from merchants.services import normalize_phone, validate_member_fields

ATTRIBUTE_PREFIX = "cf_"


def attribute_formfield(definition: MemberField) -> forms.Field:
    common = {"label": definition.label, "required": definition.required}
    if definition.kind == MemberField.Kind.NUMBER:
        return forms.DecimalField(max_digits=14, decimal_places=4, **common)
    if definition.kind == MemberField.Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if definition.kind == MemberField.Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in definition.choices], **common)
    if definition.kind == MemberField.Kind.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(choices=[(c, c) for c in definition.choices],
                                         widget=forms.CheckboxSelectMultiple, **common)
    return forms.CharField(max_length=200, **common)


class MemberAttributesMixin:
    """Adds one form field per active attribute of `merchant` and collects them into `custom_fields`."""

    def add_attribute_fields(self, merchant: Merchant | None, initial: dict | None = None):
        self.attribute_definitions = list(MemberField.objects.filter(merchant=merchant, is_active=True)) \
            if merchant else []
        for definition in self.attribute_definitions:
            name = ATTRIBUTE_PREFIX + definition.key
            self.fields[name] = attribute_formfield(definition)
            if initial and definition.key in initial:
                self.initial[name] = initial[definition.key]

    def submitted_attributes(self) -> dict:
        values = {}
        for definition in self.attribute_definitions:
            value = self.cleaned_data.get(ATTRIBUTE_PREFIX + definition.key)
            values[definition.key] = "" if value is None else (value if not hasattr(value, "isoformat")
                                                                 else value.isoformat())
        return values

    def add_domain_error(self, error: DomainError):
        """Show a service's refusal on the field it names, or on the form as a whole."""
        field = error.field or None
        if field and field.startswith("custom_fields."):
            field = ATTRIBUTE_PREFIX + field.split(".", 1)[1]
        self.add_error(field if field in self.fields else None, str(error.message))


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("Mobile number"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel",
                                                          "placeholder": _("11-digit mobile number")}))


class LoginCodeForm(forms.Form):
    phone = forms.CharField(widget=forms.HiddenInput, max_length=20)
    code = forms.RegexField(label=_("Code"), regex=r"^\s*\d{6}\s*$", max_length=10,
                            error_messages={"invalid": _("The code has 6 digits.")},
                            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                          "placeholder": "000000"}))


class JoinForm(MemberAttributesMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    gender = forms.ChoiceField(label=_("Gender"), choices=Member.Gender.choices, initial=Member.Gender.UNKNOWN)
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, merchant: Merchant, details: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if details:
            self.add_attribute_fields(merchant)
        else:
            # One-tap join (the merchant's card asks for no details): nothing to fill in.
            self.fields.clear()
            self.attribute_definitions = []


class MemberAdminForm(MemberAttributesMixin, forms.ModelForm):
    """The admin's member form, with the merchant's attributes as real fields."""

    class Meta:
        model = Member
        fields = ["merchant", "phone", "name", "gender", "birthday", "joined_at", "source_store", "referrer", "tags",
                  "status"]

    def __init__(self, *args, merchant: Merchant | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        merchant = merchant or (self.instance.merchant if self.instance.merchant_id else None)
        self.add_attribute_fields(merchant, initial=self.instance.custom_fields if self.instance.pk else None)
        self._merchant = merchant

    def clean_phone(self):

        try:
            return normalize_phone(self.cleaned_data["phone"])
        except DomainError as error:
            raise forms.ValidationError(str(error.message), code=error.code) from None

    def clean(self):
        cleaned = super().clean()
        merchant = self._merchant or cleaned.get("merchant")
        if merchant is not None and not self.errors:

            try:
                self.instance.custom_fields = validate_member_fields(
                    merchant, self.submitted_attributes(), existing=self.instance.custom_fields)
            except DomainError as error:
                self.add_domain_error(error)
        return cleaned


def param_field_name(code: str, param: str) -> str:
    """The form field of one filter's parameter: every filter's fields sit in the clause form, the
    selected filter's are read (the page shows only those)."""
    return f"{code}__{param}"


def param_formfield(segment_filter: SegmentFilter, param: Param, merchant_id: int | None) -> forms.Field:
    """A form field for a parameter, from its spec alone: the admin knows no filter."""
    attrs = {"data-segment-param": segment_filter.code}
    common = {"label": capfirst(param.label), "required": False, "help_text": param.help_text}
    if param.kind == ParamKind.INTEGER:
        return forms.IntegerField(min_value=param.min_value, max_value=param.max_value,
                                  widget=forms.NumberInput(attrs=attrs), **common)
    if param.kind == ParamKind.MONEY:
        return forms.DecimalField(max_digits=14, decimal_places=2, min_value=0,
                                  widget=forms.NumberInput(attrs={**attrs, "step": "0.01"}), **common)
    if param.kind == ParamKind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={**attrs, "type": "date"}, format="%Y-%m-%d"),
                               **common)
    if param.kind == ParamKind.CHOICE:
        options = param.options(merchant_id) if param.options else []
        return forms.ChoiceField(choices=[("", "—"), *options], widget=forms.Select(attrs=attrs), **common)
    if param.kind == ParamKind.PHONES:
        return forms.CharField(widget=forms.Textarea(attrs={**attrs, "rows": 3}), **common)
    return forms.CharField(max_length=200, widget=forms.TextInput(attrs=attrs), **common)


def _stored(value):
    """A form value in the JSON form the filters validate (dates as ISO strings, amounts as strings)."""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class SegmentClauseForm(forms.ModelForm):
    """One condition of a segment: the filter select and the parameters of every registered filter.

    `clause_form_for(merchant_id)` makes the class for one merchant, so choices (levels, tags, fields)
    are that merchant's only; the selected filter validates its parameters like any service caller.
    """

    merchant_id: int | None = None
    filter = forms.ChoiceField(label=capfirst(_("condition")), choices=())

    class Meta:
        model = SegmentClause
        fields = ["filter"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["filter"].choices = [("", "—"), *segment_filters.choices()]
        self.cleaned_params: dict = {}
        if self.instance.pk and self.instance.filter in segment_filters:
            for name, value in self.instance.params.items():
                field_name = param_field_name(self.instance.filter, name)
                if field_name in self.fields:
                    self.initial[field_name] = "\n".join(value) if isinstance(value, list) else value

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("filter")
        if not code:
            return cleaned
        segment_filter = segment_filters.get(code)
        names = {param.name for param in segment_filter.params}
        raw = {name: _stored(cleaned.get(param_field_name(code, name))) for name in names}
        try:
            self.cleaned_params = segment_filter.validate(raw, merchant_id=self.merchant_id)
        except DomainError as refused:
            field = param_field_name(code, refused.field) if refused.field in names else "filter"
            self.add_error(field, str(refused.message))
        return cleaned

    def save(self, commit=True):
        self.instance.params = self.cleaned_params
        return super().save(commit=commit)


def clause_form_for(merchant_id: int | None) -> type[SegmentClauseForm]:
    fields = {param_field_name(f.code, p.name): param_formfield(f, p, merchant_id)
              for f in segment_filters.all() for p in f.params}
    return type("SegmentClauseForm", (SegmentClauseForm,), {"merchant_id": merchant_id, **fields})
