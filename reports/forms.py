"""The reports console's filter: a date range in the merchant's days and the stores, checked before any read."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from merchants.models import Store

LONGEST_SPAN_DAYS = 366
DEFAULT_DAYS = 30


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("from"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("to (inclusive)"), widget=forms.DateInput(attrs={"type": "date"}))
    stores = forms.ModelMultipleChoiceField(label=_("stores"), queryset=Store.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text=_("None ticked: every store."))

    def __init__(self, *args, stores, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stores"].queryset = stores
        self.fields["start"].initial = today - datetime.timedelta(days=DEFAULT_DAYS - 1)
        self.fields["end"].initial = today

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if start > end:
                self.add_error("end", _("The end comes before the start."))
            elif (end - start).days >= LONGEST_SPAN_DAYS:
                self.add_error("start", _("Choose at most %(days)d days.") % {"days": LONGEST_SPAN_DAYS})
        return cleaned
