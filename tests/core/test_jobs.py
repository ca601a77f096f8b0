import os

import pytest

from core import jobs
from core.extensions import db
from core.models import Job


def sample_job(n, job_id=None, fail=False):
    """A job used by these tests: reports progress n times."""
    for i in range(1, n + 1):
        jobs.update_progress(job_id, i, n, message=f"step {i}")
    if fail:
        raise ValueError("the file had 3 bad rows")
    return {"done": n}


def test_thread_job_records_progress_and_result(app):
    job = jobs.enqueue("tests.core.test_jobs:sample_job", 4, job_kind="test")
    jobs.wait_all()
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "done" and job.progress == 4 and job.total == 4
    assert job.result == {"done": 4}
    assert job.percent == 100


def test_failed_job_keeps_its_message(app):
    job = jobs.enqueue("tests.core.test_jobs:sample_job", 2, job_kind="test", fail=True)
    jobs.wait_all()
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "failed" and "3 bad rows" in job.message


def test_job_page_shows_progress_bar(client):
    from tests.factories import login_as, make_user

    user = make_user()
    job = Job(kind="import", owner_id=user.id, progress=30, total=120, status="running")
    db.session.add(job)
    db.session.commit()
    login_as(client, user)
    html = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert '<progress class="job-progress"' in html and 'value="25"' in html
    assert 'http-equiv="refresh"' in html
    other = make_user()
    login_as(client, other)
    assert client.get(f"/jobs/{job.id}").status_code == 404


@pytest.mark.skipif(not os.environ.get("REDIS_TEST_URL"), reason="REDIS_TEST_URL not set")
def test_rq_backend_runs_through_redis(app):
    from redis import Redis
    from rq import Queue, SimpleWorker

    url = os.environ["REDIS_TEST_URL"]
    redis = Redis.from_url(url)
    redis.flushdb()
    app.config.update(JOBS_BACKEND="rq", REDIS_URL=url)
    try:
        job = jobs.enqueue("tests.core.test_jobs:sample_job", 3, job_kind="test")
        assert Queue("default", connection=redis).count == 1
        worker = SimpleWorker([Queue("default", connection=redis)], connection=redis)
        jobs.bind_worker_app(app)  # worker.py does this with the app it builds
        worker.work(burst=True)
    finally:
        app.config.update(JOBS_BACKEND="thread")
        jobs.bind_worker_app(None)
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "done"
