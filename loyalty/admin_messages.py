"""Words of Django's own admin pages that its Simplified Chinese catalogue leaves in English (Django 5.2).

Listed here so `makemessages` keeps them in this project's catalogue, which Django reads before its own, and the
admin reads in the visitor's language throughout. The admin's JavaScript widgets' missing words (the two-box
store and level pickers) are in `locale/zh_Hans/LC_MESSAGES/djangojs.po`, kept by hand: nothing in this project
calls them.
"""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_WORDS = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
]
