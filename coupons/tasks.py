from celery import shared_task

from coupons import services


@shared_task(acks_late=True)
def run_issuance_task(issuance_id: int) -> int:
    """A mass send. acks_late: if the worker is killed the broker hands the task out again, and the job
    resumes after its checkpoint."""
    return services.run_issuance(issuance_id).issued


@shared_task
def return_unclaimed_gifts() -> int:
    return services.return_unclaimed_gifts()


@shared_task
def expire_coupons() -> int:
    return services.expire_coupons()
