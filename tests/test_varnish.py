"""Varnish from Debian (deploy/varnish.vcl) in front of gunicorn serving the site, on the test's
database: public pages are Varnish hits; publishing an edit through Wagtail's revision publish
purges it (and the listing with any query string) so the new title shows through Varnish within a
second; the seats left are never stale; a signed-in visitor and a response that sets a cookie go
past the cache, while anonymous visitors keep getting hits.

Needs `varnishd` (`make system-deps` installs Debian's varnish); without it this fails, saying so."""

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from tests.factories import edited, make_event, make_registration
from tests.local_servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parent.parent
HOST = "localhost"  # the Wagtail Site's hostname: purges name it, so requests must too


def varnishd():
    found = shutil.which("varnishd") or next(
        (path for path in ("/usr/sbin/varnishd", "/usr/local/sbin/varnishd") if os.access(path, os.X_OK)), None
    )
    if found is None:
        pytest.fail("varnishd is not installed: run `make system-deps` (Debian's varnish package).")
    return found


def database_url():
    """The test database, for the served site: the same PostgreSQL database or SQLite file."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"


def start(command, log, **kwargs):
    """`command` in a process group of its own, its output in the file `log` (a pipe nobody reads
    would fill up and stop it)."""
    with open(log, "wb") as output:
        process = subprocess.Popen(command, start_new_session=True, stdout=output, stderr=subprocess.STDOUT, **kwargs)
    process.log = log
    return process


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def get(port, path, headers=None, host=HOST):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response, response.read().decode()
    finally:
        conn.close()


def wait_until_up(port, process, path, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = Path(process.log).read_text(errors="replace")
            pytest.fail(f"{process.args[0]} exited with {process.returncode}:\n{output[-3000:]}")
        try:
            response, _body = get(port, path)
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"Nothing answered on port {port} within {seconds} s")


def is_hit(response):
    """Varnish's X-Varnish names the request and, on a hit, the request that stored the object."""
    return len(response.getheader("X-Varnish", "").split()) == 2 and response.getheader("X-Cache") == "HIT"


@pytest.fixture
def edge(settings, tmp_path):
    """gunicorn serving the site on the test database, Varnish in front; yields Varnish's port."""
    varnish = varnishd()
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    site_port, varnish_port = free_port(), free_port()
    # Both processes, the test's and the site's, share the cache holding the content version.
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(cache_dir)},
    }
    settings.WAGTAILFRONTENDCACHE = {
        "varnish": {"BACKEND": "events.purge.HTTPBackend", "LOCATION": f"http://127.0.0.1:{varnish_port}"}
    }
    # Varnish's own directory, readable by the user it drops to when started as root.
    workdir = Path(tempfile.mkdtemp(prefix="varnish-", dir="/tmp"))
    workdir.chmod(0o755)
    vcl, replaced = re.subn(
        r'\.port = "\d+";', f'.port = "{site_port}";', (ROOT / "deploy" / "varnish.vcl").read_text()
    )
    assert replaced == 1
    (workdir / "site.vcl").write_text(vcl)
    (workdir / "site.vcl").chmod(0o644)
    env = {
        **{name: value for name, value in os.environ.items() if name not in ("REDIS_URL", "DATABASE_URL")},
        "DJANGO_SETTINGS_MODULE": "tests.edge_site_settings",
        "DATABASE_URL": database_url(),
        "EDGE_CACHE_DIR": str(cache_dir),
        "PYTHONUNBUFFERED": "1",
    }
    processes = []
    try:
        gunicorn = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{site_port}"]
        processes.append(
            site := start([*gunicorn, "--workers", "2", "--timeout", "60"], workdir / "site.log", cwd=ROOT, env=env)
        )
        wait_until_up(site_port, site, "/healthz/")
        command = [varnish, "-F", "-a", f"127.0.0.1:{varnish_port}", "-f", str(workdir / "site.vcl")]
        processes.append(
            proxy := start(
                [*command, "-n", str(workdir / "n"), "-s", "malloc,64m"], workdir / "varnish.log", cwd=workdir
            )
        )
        wait_until_up(varnish_port, proxy, "/healthz/")
        yield varnish_port
    finally:
        for process in reversed(processes):
            stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def test_varnish_serves_public_pages_and_purges_on_publish_with_live_seats(edge):
    event = make_event("The therapeutic alliance", slug="alliance", tickets=[("Standard", "0")], capacity=5)
    page, listing = "/events/alliance/", "/events/?q=alliance&format=online"

    # A second look at a page is a hit, from Varnish, not the site.
    for path in (page, listing, "/api/events/?q=alliance"):
        first, _body = get(edge, path)
        assert first.status == 200 and "s-maxage" in first.getheader("Cache-Control"), path
        again, body = get(edge, path)
        assert is_hit(again), path
        assert "The therapeutic alliance" in body

    # Publishing an edit (Wagtail's revision publish) shows through Varnish within a second: its
    # page and a listing with a query string are purged.
    edited(event, title="The working alliance").save_revision().publish()
    published = time.monotonic()
    while "The working alliance" not in get(edge, page)[1]:
        assert time.monotonic() - published < 1, "the edit did not show through Varnish within a second"
        time.sleep(0.05)
    response, body = get(edge, listing)
    assert not is_hit(response) and "The working alliance" in body
    assert "The working alliance" in get(edge, "/api/events/?q=alliance")[1]
    assert is_hit(get(edge, page)[0])

    # Seats left are never stale: the page carries none, its live box is never kept.
    box = page + "registration-box/"
    response, body = get(edge, box)
    assert "Only 5 seats left" in body and not is_hit(response)
    make_registration(event, price="0")
    response, body = get(edge, box)
    assert "Only 4 seats left" in body and not is_hit(response)
    response, body = get(edge, page)
    assert is_hit(response) and "seats left" not in body  # the seat sale purged nothing

    # A signed-in visitor goes past the cache and gets the userbar; anonymous visitors still hit.
    client = Client()
    client.force_login(User.objects.create_superuser("editor", "editor@example.com", "pw"))
    session = f"sessionid={client.cookies['sessionid'].value}"
    response, body = get(edge, page, {"Cookie": session})
    assert not is_hit(response) and "wagtail-userbar" in body
    assert "private" in response.getheader("Cache-Control")
    response, body = get(edge, page)
    assert is_hit(response) and "wagtail-userbar" not in body

    # A response that sets a cookie (the register form's CSRF token) is never kept; the visitor's
    # own CSRF cookie still reaches the site (a form in another tab stays valid).
    token = "a" * 32
    for _ in range(2):
        response, body = get(edge, page + "register/", {"Cookie": f"csrftoken={token}; _ga=x"})
        assert f"csrftoken={token};" in response.getheader("Set-Cookie") and not is_hit(response)
        assert "private" in response.getheader("Cache-Control")
    response, _body = get(edge, page, {"Cookie": f"csrftoken={token}; _ga=x"})
    assert is_hit(response) and {"cookie", "accept-language"} <= {
        value.strip().lower() for value in response.getheader("Vary").split(",")
    }


def test_each_language_is_kept_apart(edge):
    make_event("The therapeutic alliance", slug="alliance")
    english, _ = get(edge, "/events/", {"Accept-Language": "en-GB,en;q=0.9"})
    spanish, body = get(edge, "/events/", {"Accept-Language": "fr-FR,es;q=0.8,en;q=0.5"})
    assert '<html lang="es">' in body and not is_hit(spanish)
    by_cookie, body = get(edge, "/events/", {"Cookie": "django_language=es", "Accept-Language": "en"})
    assert is_hit(by_cookie) and '<html lang="es">' in body
    response, body = get(edge, "/events/", {"Accept-Language": "en-US"})
    assert is_hit(response) and '<html lang="en">' in body
