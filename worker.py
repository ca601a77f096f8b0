"""The RQ worker: `python worker.py` (needs REDIS_URL).

Builds the app once as a worker process, binds it to `core.jobs` so queued jobs run inside it,
and works the `default` and `search` (outbox delivery) queues. A thread of each worker process
enqueues the chronograph's run of due deadlines every CHRONOGRAPH_INTERVAL seconds (one enqueue
per interval across all workers: `core.scheduler.start_rq_trigger`).
"""
import sys

from config import ConfigError, config_from_env
from platform_app import create_app


def main(argv=None) -> int:
    try:
        app = create_app(config_from_env(), process="worker")
    except ConfigError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    url = app.config.get("REDIS_URL")
    if not url:
        sys.stderr.write("worker: REDIS_URL is not set; the embedded default runs jobs in the web process\n")
        return 2
    from redis import Redis
    from rq import Worker

    from core import jobs, scheduler

    jobs.bind_worker_app(app)
    connection = Redis.from_url(url)
    scheduler.start_rq_trigger(app, connection)
    Worker(["default", "search"], connection=connection).work(with_scheduler=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
