from celery import shared_task

from campaigns.services import occurrences


@shared_task
def schedule_campaigns() -> int:
    """Beat: create and start the occurrences due now."""
    return len(occurrences.schedule_due())


@shared_task(acks_late=True)
def run_occurrence_task(occurrence_id: int) -> None:
    occurrences.run_occurrence(occurrence_id)
