from bazaar import create_app
from config import Config


def test_healthz_up(client, backend):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == {"ok": True, "detail": backend}
    assert body["broker"]["ok"] is True
    assert body["broker"]["detail"] == ("redis" if backend == "postgresql" else "bazaar-filesystem")
    assert body["rate_limit_storage"] == {"ok": True, "detail": "redis"}  # the tests count in Redis
    assert body["outbox"] == {"due_unsent": 0, "oldest_due_age_seconds": 0}


def test_healthz_database_down(test_env):
    app = create_app(Config(TESTING=True, SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down" and body["database"]["ok"] is False


def test_healthz_broker_down(test_env, app):
    config = Config(TESTING=True)
    config.CELERY = {**config.CELERY, "broker_url": "redis://127.0.0.1:1/0", "broker_transport_options": {}}
    broken = create_app(config)
    try:
        response = broken.test_client().get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["broker"]["ok"] is False and body["database"]["ok"] is True
    finally:
        # the Celery app is process-wide: give it back the configuration of the app under test
        from worker import init_celery

        init_celery(app)


def test_healthz_rate_limit_storage_down_is_degraded_not_down(test_env, app):
    """Limits then count in memory and requests are served: say so, but keep the process in rotation."""
    from tests.support import free_port, limiter_on_redis

    nobody = f"redis://127.0.0.1:{free_port()}/0"
    response = create_app(Config(TESTING=True, **limiter_on_redis(nobody))).test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["rate_limit_storage"]["ok"] is False and body["database"]["ok"] is True
