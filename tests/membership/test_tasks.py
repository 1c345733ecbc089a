"""Celery beat runs the membership work: every scheduled task exists and runs (eagerly in tests)."""

import pytest
from django.conf import settings

from cards.membership import services, tasks
from loyalty.celery import app
from tests.membership.helpers import make_program

pytestmark = pytest.mark.django_db


def test_beat_schedules_points_expiry_warnings_and_level_reviews():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    wanted = {"membership.tasks.expire_points", "membership.tasks.warn_expiring_points",
              "membership.tasks.recompute_levels", "membership.tasks.warn_level_drops"}
    assert wanted <= scheduled
    app.loader.import_default_modules()
    assert wanted <= set(app.tasks)


def test_the_tasks_run_and_are_harmless_when_run_again(tenant_a):
    make_program(tenant_a.merchant, points_expiry="months", retention="reevaluate")
    services.grant_points(tenant_a.member, 10, reason="gift")
    for task in (tasks.expire_points, tasks.warn_expiring_points, tasks.recompute_levels, tasks.warn_level_drops):
        assert isinstance(task.delay().get(), int)
        assert task.delay().get() == 0
