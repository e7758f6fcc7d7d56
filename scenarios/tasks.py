"""Celery tasks of the scenarios app: thin adapters over its services, safe to run twice."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from scenarios import facets, figures
from scenarios.services import imports, search


@shared_task(name="scenarios.warm_list_counts", ignore_result=True, soft_time_limit=120)
def warm_list_counts() -> None:
    """Count the unfiltered lists for the current generation (a cache fill; a newer
    generation started meanwhile is simply counted by the next run)."""
    facets.warm_list_counts()


@shared_task(
    name="scenarios.search_index_pending", ignore_result=True, soft_time_limit=900, time_limit=960
)
def search_index_pending() -> None:
    """Write the search vectors still NULL (the rows of a bulk import), in batches."""
    search.index_pending()


@shared_task(name="scenarios.refresh_list_figures", ignore_result=True, soft_time_limit=60)
def refresh_list_figures() -> None:
    """Recount the dashboard's list figures, so that no visitor waits for them."""
    figures.list_figures(refresh=True)


@shared_task(
    name="scenarios.run_import",
    ignore_result=True,
    soft_time_limit=1800,
    time_limit=2000,
    # A database restart in the middle rolls the import back; the retry claims it again.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def run_import(job_id: int) -> None:
    """Check or import one uploaded file (a job already done, or running in a live worker,
    is left alone; one whose worker died is run again)."""
    imports.import_job_run(job_id=job_id)


@shared_task(name="scenarios.resume_stalled_imports", ignore_result=True)
def resume_stalled_imports() -> None:
    """Send again the import jobs whose worker died or whose message was lost (beat)."""
    imports.import_jobs_resume_stalled()
