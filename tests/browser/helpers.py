"""What every browser test of the member pages does to log in: the real one-time-code form."""

import re

from loyalty.models import OutboxMessage


def answer_login_form(page, phone: str) -> None:
    """On the login page: type the phone, read the texted code from the outbox, type it and send it."""
    page.wait_for_selector("#phone-form")
    page.fill("input[name=phone]", phone)
    page.click("#phone-form button[type=submit]")
    page.wait_for_selector("#code-form")
    message = OutboxMessage.objects.filter(recipient=phone, kind=OutboxMessage.Kind.LOGIN_CODE).latest("pk")
    page.fill("input[name=code]", re.search(r"\d{6}", message.body).group())
    page.click("#code-form button[type=submit]")
