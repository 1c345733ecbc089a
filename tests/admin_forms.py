"""What a staff member's browser posts when they save an admin page: the page's own values, then their edits.

Tests of admin saves build their POST from the change page instead of listing every field, so they keep
working when a model gains a field or an inline.
"""

from __future__ import annotations

from django import forms


def _add_form(data: dict, form: forms.BaseForm) -> None:
    for name, field in form.fields.items():
        if field.disabled or isinstance(field, forms.FileField):
            continue
        _add_field(data, field, form.add_prefix(name), form[name].value())
        if field.show_hidden_initial:  # fields with a callable default also post the value they were shown with
            _add_field(data, field, form.add_initial_prefix(name), form[name].value())


def _add_field(data: dict, field: forms.Field, key: str, value) -> None:
    if isinstance(field.widget, forms.MultiWidget):
        # As the browser shows it: each part formatted by its own widget (no microseconds).
        for index, (widget, part) in enumerate(zip(field.widget.widgets, field.widget.decompress(value),
                                                   strict=True)):
            data[f"{key}_{index}"] = widget.format_value(part) or ""
    elif isinstance(field, forms.BooleanField):
        if value:
            data[key] = "on"
    elif isinstance(value, list | tuple):
        data[key] = [str(item) for item in value]
    elif value is not None:
        data[key] = str(value)


def admin_form_data(response, **changes) -> dict:
    """The POST of the admin add or change page in `response`, with `changes` (field: value) applied."""
    data: dict = {}
    _add_form(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _add_form(data, formset.management_form)
        for form in formset.forms:
            _add_form(data, form)
    for name, value in changes.items():
        if value is False or value is None:
            data.pop(name, None)
        else:
            data[name] = "on" if value is True else value
    return data
