#!/bin/sh
# Starts one process of the service. The first argument picks it:
#   web      gunicorn with gunicorn.conf.py (the default); MIGRATE_ON_START=true migrates first
{%- if cookiecutter.use_celery %}
#   worker   a Celery worker; further arguments go to `celery worker` (e.g. --concurrency 4)
#   beat     the Celery beat scheduler (run exactly one)
{%- endif %}
#   migrate  apply migrations, then exit
# Anything else runs as given, e.g. `python manage.py shell`.
set -eu

wait_for_database() {
    python manage.py wait_for_database --timeout "${DATABASE_WAIT_TIMEOUT:-60}"
}

case "${1:-web}" in
    web)
        wait_for_database
        if [ "${MIGRATE_ON_START:-false}" = "true" ]; then
            python manage.py migrate --noinput
        fi
        exec gunicorn
        ;;
{%- if cookiecutter.use_celery %}
    worker)
        shift
        wait_for_database
        # The pool's processes count tasks here and the main process serves the sum on
        # WORKER_METRICS_PORT; a fresh directory, so nothing from an earlier run is counted.
        PROMETHEUS_MULTIPROC_DIR="$(mktemp -d /tmp/prometheus-worker.XXXXXX)"
        export PROMETHEUS_MULTIPROC_DIR
        exec celery --app config --quiet worker --loglevel "${LOG_LEVEL:-INFO}" "$@"
        ;;
    beat)
        wait_for_database
        # The schedule file goes to /tmp: the root filesystem may be read-only.
        exec celery --app config --quiet beat --loglevel "${LOG_LEVEL:-INFO}" \
            --schedule /tmp/celerybeat-schedule
        ;;
{%- endif %}
    migrate)
        wait_for_database
        exec python manage.py migrate --noinput
        ;;
    *)
        exec "$@"
        ;;
esac
