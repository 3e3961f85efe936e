"""Rate limits: tight on the account, sized for a crowd on the address, shared by every process,
and ``X-Forwarded-For`` honoured only from the configured trusted proxies."""

import multiprocessing

from limits import parse_many
from limits.strategies import FixedWindowRateLimiter

from bazaar import create_app, ratelimit
from config import Config
from tests import factories as f
from tests.accounts.test_accounts import SIGNUP
from tests.support import limiter_on_redis, login

CROWD = 40  # people at one fair behind one Wi-Fi address, acting in the same minute


def per_minute(spec: str) -> int:
    """The first (per-minute) amount of a limit such as "10 per minute; 50 per hour"."""
    return parse_many(spec)[0].amount


def test_one_persons_failed_logins_lock_out_only_that_account(ctx, app):
    f.user(email="ali@example.org")
    others = [f.user() for _ in range(3)]
    client = app.test_client()
    tries = per_minute(ratelimit.LOGIN_PER_ACCOUNT)
    statuses = [
        client.post("/login", data={"email": email, "password": "wrong"}).status_code
        for email in ["ali@example.org", " ALI@example.org "] * tries
    ]
    assert statuses[:tries] == [200] * tries and set(statuses[tries:]) == {429}
    for other in others:  # the same address, other accounts: still let in
        response = app.test_client().post("/login", data={"email": other.email, "password": f.PASSWORD})
        assert response.status_code == 302


def test_a_crowd_on_one_address_can_log_in_and_sign_up(ctx, app):
    assert per_minute(ratelimit.LOGIN_PER_ACCOUNT) < CROWD
    people = [f.user() for _ in range(CROWD)]
    for person in people:
        response = app.test_client().post("/login", data={"email": person.email, "password": f.PASSWORD})
        assert response.status_code == 302
    for i in range(CROWD):
        response = app.test_client().post("/signup", data={**SIGNUP, "email": f"crowd{i}@example.org"})
        assert response.status_code == 302, i


def test_the_exhibitor_application_form_is_rate_limited(ctx, client):
    event = f.event()
    tries = per_minute(ratelimit.EXHIBITOR_APPLY_PER_ACCOUNT)
    statuses = [
        client.post(f"/events/{event.slug}/exhibit", data={"contact_email": "hr@example.org"}).status_code
        for _ in range(tries + 1)
    ]
    assert 429 not in statuses[:tries] and statuses[tries] == 429
    assert client.post(f"/events/{event.slug}/exhibit", data={"contact_email": "other@example.org"}).status_code != 429
    applicant = f.user()
    login(client, applicant)  # logged in, the account counts, whatever contact email it types
    statuses = [
        client.post(f"/events/{event.slug}/exhibit", data={"contact_email": f"hr{i}@example.org"}).status_code
        for i in range(tries + 1)
    ]
    assert 429 not in statuses[:tries] and statuses[tries] == 429


def _exhaust_reset_limit_per_address(client, headers) -> list[int]:
    tries = per_minute(ratelimit.RESET_PER_ADDRESS)
    return [
        client.post("/forgot-password", data={"email": f"p{i}@example.org"}, headers=headers(i)).status_code
        for i in range(tries + 1)
    ]


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(ctx, client):
    """By default a client cannot pick its own address with a forged header to escape the limit."""
    statuses = _exhaust_reset_limit_per_address(client, lambda i: {"X-Forwarded-For": f"10.0.0.{i}"})
    assert 429 not in statuses[:-1] and statuses[-1] == 429


def test_behind_a_trusted_proxy_each_client_address_counts_apart(test_env, app):
    behind_proxy = create_app(Config(TESTING=True, WTF_CSRF_ENABLED=False, TRUSTED_PROXIES=1, **limiter_on_redis()))
    client = behind_proxy.test_client()
    statuses = _exhaust_reset_limit_per_address(client, lambda i: {"X-Forwarded-For": "203.0.113.7"})
    assert 429 not in statuses[:-1] and statuses[-1] == 429
    other = client.post(
        "/forgot-password",
        data={"email": "x@example.org"},
        headers={"X-Forwarded-For": "203.0.113.8", "X-Forwarded-Proto": "https"},
    )
    assert other.status_code == 200
    # the proxy's address, scheme and host reach the app, so links and secure cookies are the public ones
    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_FORWARDED_FOR": "203.0.113.9",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "fair.example.org",
    }
    seen = {}

    def record(env, start_response):
        seen.update(addr=env["REMOTE_ADDR"], scheme=env["wsgi.url_scheme"], host=env["HTTP_HOST"])
        start_response("204 No Content", [])
        return []

    behind_proxy.wsgi_app.app = record
    behind_proxy.wsgi_app(
        {
            **environ,
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/",
            "SERVER_NAME": "x",
            "SERVER_PORT": "80",
            "wsgi.url_scheme": "http",
            "HTTP_HOST": "127.0.0.1",
        },
        lambda *a: None,
    )
    assert seen == {"addr": "203.0.113.9", "scheme": "https", "host": "fair.example.org"}


def _hit(path: str, attempts: int, results) -> None:
    storage = ratelimit.SQLiteStorage(f"bazaar-sqlite://{path}")
    strategy = FixedWindowRateLimiter(storage)
    limit = parse_many(ratelimit.LOGIN_PER_ACCOUNT)[0]
    results.put(sum(strategy.hit(limit, "login", "ali@example.org") for _ in range(attempts)))


def test_the_embedded_storage_counts_across_processes(tmp_path):
    """Without Redis, gunicorn's workers share one count (each worker used to count apart)."""
    path = tmp_path / "ratelimit.sqlite"
    allowed = per_minute(ratelimit.LOGIN_PER_ACCOUNT)
    ctx = multiprocessing.get_context("fork")
    results = ctx.Queue()
    workers = [ctx.Process(target=_hit, args=(str(path), allowed, results)) for _ in range(4)]
    for w in workers:
        w.start()
    granted = sum(results.get(timeout=30) for _ in workers)
    for w in workers:
        w.join(timeout=30)
    assert granted == allowed


def test_the_embedded_default_uses_the_shared_storage(monkeypatch, tmp_path):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("BAZAAR_INSTANCE_DIR", str(tmp_path))
    assert f"bazaar-sqlite:///{tmp_path / 'ratelimit.sqlite'}" == Config().RATELIMIT_STORAGE_URI
