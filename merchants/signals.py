"""Signals other apps react to in their receivers.py (dependencies point one way: DESIGN.md)."""

from django.dispatch import Signal

# Sent inside the joining transaction with `member`; receivers give join gifts atomically with it.
member_joined = Signal()
