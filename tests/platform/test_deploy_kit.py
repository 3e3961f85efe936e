"""The production kit: Dockerfile, compose.yaml, the nginx config and the systemd units.

There is no Docker engine here, so the compose file is read as YAML and held to what matters
(migrations once before web, exactly one beat, health checks, commands that exist, settings that
Bazaar reads). The nginx config is checked by a real nginx (``nginx -t``) and then run in front of a
real gunicorn serving Bazaar; the systemd units are checked by ``systemd-analyze verify``."""

import http.client
import re
import shlex
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bazaar import ratelimit
from tests.support import ROOT, free_port, wait_for

COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
NGINX = ROOT / "deploy" / "nginx"
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
GUNICORN_CONF = "deploy/gunicorn.conf.py"
# Read by other programs than Bazaar: flask's CLI, and compose itself (it builds DATABASE_URL).
NOT_BAZAARS = {"FLASK_APP", "POSTGRES_PASSWORD"}


def _command(service: str) -> list[str]:
    command = SERVICES[service]["command"]
    return shlex.split(command) if isinstance(command, str) else command


def _settings_bazaar_reads() -> set[str]:
    """Every environment variable the code reads (config.py, bazaar/, worker/, deploy/)."""
    pattern = re.compile(r'(?:environ\.get|env\.get|getenv|_bool|environ\[)\(?\s*"([A-Z][A-Z0-9_]*)"')
    files = [ROOT / "config.py", *ROOT.glob("bazaar/**/*.py"), *ROOT.glob("worker/*.py"), *ROOT.glob("deploy/*.py")]
    return {name for path in files for name in pattern.findall(path.read_text())}


# ---- compose -----------------------------------------------------------------------------------


def test_compose_runs_migrations_once_before_web_workers_and_beat():
    assert _command("migrate") == ["flask", "db", "upgrade"]
    assert "ENV" in DOCKERFILE and re.search(r"FLASK_APP=wsgi\b", DOCKERFILE)
    assert SERVICES["migrate"]["restart"] == "no"
    for service in ("web", "worker", "beat"):
        needs = SERVICES[service]["depends_on"]
        assert needs["migrate"] == {"condition": "service_completed_successfully"}, service
        assert needs["db"]["condition"] == needs["redis"]["condition"] == "service_healthy"


def test_compose_has_exactly_one_beat_and_scales_web_and_workers():
    beats = [name for name in SERVICES if "beat" in SERVICES[name].get("command", [])]
    assert beats == ["beat"] and SERVICES["beat"]["deploy"]["replicas"] == 1
    assert SERVICES["web"]["deploy"]["replicas"] == "${WEB_REPLICAS:-2}"
    assert SERVICES["worker"]["deploy"]["replicas"] == "${WORKER_REPLICAS:-2}"
    assert "replicas" not in SERVICES["migrate"].get("deploy", {})


def test_compose_health_checks():
    assert " ".join(SERVICES["web"]["healthcheck"]["test"]).count("http://127.0.0.1:8000/healthz") == 1
    assert SERVICES["db"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert SERVICES["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert SERVICES["nginx"]["depends_on"]["web"] == {"condition": "service_healthy"}
    assert "staging" in SERVICES["mailpit"]["profiles"]


def test_every_command_is_the_one_bin_run_and_the_units_use():
    run = (ROOT / "bin" / "run").read_text()
    web = _command("web")
    assert web == ["gunicorn", "-c", GUNICORN_CONF, "--bind", "0.0.0.0:8000", "wsgi:app"]
    cmd = re.search(r"^CMD (.+)$", DOCKERFILE, re.M).group(1)
    assert yaml.safe_load(cmd) == web  # the image's default command is the web process
    assert f"gunicorn -c {GUNICORN_CONF}" in run and "wsgi:app" in run
    assert _command("worker")[:4] == ["celery", "-A", "worker.app", "worker"]
    assert _command("beat")[:4] == ["celery", "-A", "worker.app", "beat"]
    assert "celery -A worker.app worker" in run and "celery -A worker.app beat" in run
    units = {unit.name: unit.read_text() for unit in UNITS}
    assert f"gunicorn -c {GUNICORN_CONF} --bind 127.0.0.1:8000 wsgi:app" in units["bazaar-web.service"]
    assert "celery -A worker.app worker" in units["bazaar-worker.service"]
    assert "celery -A worker.app beat" in units["bazaar-beat.service"]
    assert "flask db upgrade" in units["bazaar-migrate.service"]
    assert (ROOT / GUNICORN_CONF).is_file()


def test_the_commands_name_modules_that_exist(test_env):
    """wsgi:app, worker.app's Celery app and flask's db command load, as the containers load them."""
    check = (
        "import wsgi, worker.app\n"
        "assert wsgi.app.name == 'bazaar' and worker.app.celery.main == 'bazaar'\n"
        "assert 'upgrade' in wsgi.app.cli.get_command(None, 'db').commands"
    )
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_compose_and_the_env_example_name_only_settings_bazaar_reads():
    reads = _settings_bazaar_reads()
    env = COMPOSE["x-bazaar"]["environment"]
    assert set(env) - reads == set()
    assert env["BAZAAR_TRUSTED_PROXIES"] == "1"  # the nginx service is the one proxy
    example = (ROOT / "deploy" / "bazaar.env.example").read_text()
    names = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.M))
    assert names - reads - NOT_BAZAARS == set()
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "BAZAAR_BASE_URL"} <= names
    for service in ("web", "worker"):
        assert set(SERVICES[service]["environment"]) - reads == set(), service


def test_compose_mounts_files_that_exist():
    for volume in SERVICES["nginx"]["volumes"]:
        source = volume.split(":", 1)[0]
        if source != "./deploy/certs":  # made by the operator (README: TLS)
            assert (ROOT / source).is_file(), source
    upstream = (NGINX / "upstream-compose.conf").read_text()
    assert re.search(r"server web:8000\b", upstream)  # the port the web command binds


# ---- the image ---------------------------------------------------------------------------------


def test_dockerfile_builds_a_non_root_image_from_the_lock_file(tmp_path):
    assert re.findall(r"^FROM (\S+)", DOCKERFILE, re.M) == ["python:3.11-slim"]
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.M)
    assert users and users[-1] not in ("root", "0")
    assert "pip install -r requirements.txt" in DOCKERFILE and "COPY requirements.txt" in DOCKERFILE
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "instance", "tests"} <= set(ignored)
    # The image's translation step, run on a copy: the committed catalogs compile.
    step = re.search(r"RUN (pybabel compile [^&]+)", DOCKERFILE).group(1).split()
    shutil.copytree(ROOT / "bazaar" / "translations", tmp_path / "bazaar" / "translations")
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), *step[1:]], cwd=tmp_path, check=True, capture_output=True)


# ---- systemd -----------------------------------------------------------------------------------


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp_path):
    """``systemd-analyze verify`` on the units with this checkout's paths: no unknown key, every command there."""
    for unit in UNITS:
        text = unit.read_text().replace("/opt/bazaar", str(ROOT))
        text = text.replace("/etc/bazaar/bazaar.env", str(ROOT / "deploy" / "bazaar.env.example"))
        (tmp_path / unit.name).write_text(re.sub(r"^(User|Group)=bazaar$", r"\1=root", text, flags=re.M))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in tmp_path.glob("*.service"))],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")
    units = {unit.name: unit.read_text() for unit in UNITS}
    for name in ("bazaar-web.service", "bazaar-worker.service", "bazaar-beat.service"):
        assert "Requires=bazaar-migrate.service" in units[name] and "After=" in units[name], name
    assert "Type=oneshot" in units["bazaar-migrate.service"]


# ---- nginx -------------------------------------------------------------------------------------

needs_nginx = pytest.mark.skipif(
    not shutil.which("nginx"), reason="nginx is not installed: apt-get install nginx (.ci/run installs it)"
)


def _nginx_config(folder: Path, http_port: int, https_port: int, upstream_port: int) -> Path:
    """The repo's bazaar.conf and upstream.conf with loopback ports and a self-signed certificate."""
    certs = folder / "certs"
    certs.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1"]
        + ["-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
        check=True,
        capture_output=True,
    )
    site = (NGINX / "bazaar.conf").read_text()
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    (folder / "bazaar.conf").write_text(site.replace("/etc/nginx/certs", str(certs)))
    upstream = (NGINX / "upstream.conf").read_text().replace("127.0.0.1:8000", f"127.0.0.1:{upstream_port}")
    (folder / "upstream.conf").write_text(upstream)
    temp = folder / "temp"
    temp.mkdir(mode=0o777)
    temp.chmod(0o777)  # nginx's worker processes run as nobody when started by root
    main = folder / "nginx.conf"
    main.write_text(
        f"daemon off;\npid {folder}/nginx.pid;\nerror_log stderr warn;\nevents {{}}\nhttp {{\n"
        f"  access_log off;\n  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/f;\n  uwsgi_temp_path {temp}/u;\n  scgi_temp_path {temp}/s;\n"
        f"  include {folder}/upstream.conf;\n  include {folder}/bazaar.conf;\n}}\n"
    )
    return main


@needs_nginx
def test_nginx_config_is_valid(tmp_path):
    main = _nginx_config(tmp_path, free_port(), free_port(), free_port())
    done = subprocess.run(["nginx", "-t", "-c", str(main), "-p", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


class Client:
    """HTTP(S) to nginx on loopback from a chosen source address (127.0.0.x): one kept-alive
    connection, and the session cookie kept."""

    def __init__(self, port: int, source: str, tls: bool = True):
        if tls:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the self-signed test cert
            self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, source_address=(source, 0))
        else:
            self.conn = http.client.HTTPConnection("127.0.0.1", port, source_address=(source, 0))
        self.cookie = None

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookie:
            headers["Cookie"] = self.cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode(errors="replace")
        except OSError:
            self.conn.close()
            raise
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response, text


def _token(client: Client, path: str) -> str:
    _, page = client.request("GET", path)
    match = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'<input[^>]*value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, page[:500]
    return match.group(1)


@needs_nginx
def test_bazaar_behind_the_repos_nginx(app, processes, tmp_path):
    """A real nginx with deploy/nginx/ in front of a real gunicorn: redirect to HTTPS, pages and
    /healthz through TLS, /metrics kept off the proxy, and the client's own address (not a header it
    forged) is what rate limits count, because BAZAAR_TRUSTED_PROXIES=1 trusts only nginx's."""
    http_port, https_port, web_port = free_port(), free_port(), free_port()
    base = f"https://127.0.0.1:{https_port}"
    processes.env.pop("REDIS_URL", None)  # limits counted in this test's own folder, not the shared Redis
    processes.env.update(
        BAZAAR_TRUSTED_PROXIES="1", BAZAAR_BASE_URL=base, BAZAAR_INSTANCE_DIR=str(tmp_path / "instance")
    )
    processes.start(
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        GUNICORN_CONF,
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{web_port}",
        "wsgi:app",
        log=tmp_path / "gunicorn.log",
    )
    main = _nginx_config(tmp_path, http_port, https_port, web_port)
    processes.start("nginx", "-c", str(main), "-p", str(tmp_path), log=tmp_path / "nginx.log")
    visitor = Client(https_port, "127.0.0.2")

    def up():
        try:
            return Client(https_port, "127.0.0.4").request("GET", "/healthz")[0].status == 200
        except OSError:
            return False

    wait_for(up, timeout=40, message="Bazaar through nginx")

    response, _ = Client(http_port, "127.0.0.2", tls=False).request("GET", "/events?page=2")
    assert response.status == 301 and response.getheader("Location") == "https://127.0.0.1/events?page=2"
    response, page = visitor.request("GET", "/")
    assert response.status == 200 and "<html" in page
    assert response.getheader("Strict-Transport-Security")  # https base URL: HSTS from Bazaar
    assert visitor.request("GET", "/metrics")[0].status == 404  # never through the public proxy
    direct = http.client.HTTPConnection("127.0.0.1", web_port)
    direct.request("GET", "/metrics")
    assert direct.getresponse().status == 200  # on the web process itself, from loopback
    direct.close()

    # X-Forwarded-Proto/-Host reach Bazaar: over https a form POST must name its own page as referrer.
    token = _token(visitor, "/forgot-password")
    form = f"csrf_token={token}&email=nobody%40example.org"
    assert visitor.request("POST", "/forgot-password", form)[0].status == 400
    referer = {"Referer": f"{base}/forgot-password"}
    assert visitor.request("POST", "/forgot-password", form, referer)[0].status == 200

    # One visitor forging a new X-Forwarded-For each time still counts as one address.
    tries = int(ratelimit.RESET_PER_ADDRESS.split()[0])
    statuses = [
        visitor.request(
            "POST",
            "/forgot-password",
            f"csrf_token={token}&email=p{i}%40example.org",
            {**referer, "X-Forwarded-For": f"10.0.{i}.1"},
        )[0].status
        for i in range(tries)  # one was used above
    ]
    assert statuses[:-1] == [200] * (tries - 1) and statuses[-1] == 429
    neighbour = Client(https_port, "127.0.0.3")  # another address: its own count
    token = _token(neighbour, "/forgot-password")
    response, _ = neighbour.request(
        "POST", "/forgot-password", f"csrf_token={token}&email=n%40example.org", {"Referer": f"{base}/forgot-password"}
    )
    assert response.status == 200
