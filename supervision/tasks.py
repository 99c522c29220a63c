from celery import shared_task


@shared_task(name="supervision.tasks.purge_old_recordings")
def purge_old_recordings():
    """Daily (Celery beat, docs/supervision.md "Retention"): delete recordings older than
    PIXEL_RETENTION_DAYS. Running it twice does no harm: the second run finds nothing left."""
    from supervision.actions import do_purge_recordings

    result = do_purge_recordings()
    return {"sessions": result["sessions"], "messages": result["messages"], "events": result["events"]}
