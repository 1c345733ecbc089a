"""A clock the membership tests can move: services read django.utils.timezone.now at call time."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone


class Clock:
    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def move_to(self, moment: datetime.datetime) -> None:
        self.now = moment


@pytest.fixture
def freezer(monkeypatch):
    return Clock(monkeypatch)
