"""The plugin as one installable distribution: `python -m build` makes a wheel and an sdist that hold
`events` and `registrations` with their templates, static files, migrations and translations, and
nothing of the reference site; installed alone, the apps set up, check, migrate and translate in a
site of their own (docs/install.md, "Installing the package"), and the Stripe test emulator ships
beside them for integrators' offline tests without the app ever importing it."""

import ast
import importlib.metadata
import os
import shutil
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("events", "registrations")
REFERENCE_SITE = ("config", "home", "site", "bench", "tests", "locale")
# Not part of a checkout's source: never copied into the build.
NOT_SOURCE = {".git", ".venv", "node_modules", "media", "static", "build", "dist", "db.sqlite3"}


def shipped_files(app):
    """The files of `app` in the repository that the package must carry (all but bytecode)."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / app).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and wheel `python -m build` makes from a copy of the checkout (the build writes
    its egg-info beside the sources, so it never runs in the working tree)."""
    work = tmp_path_factory.mktemp("dist")
    source = work / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=lambda folder, names: {
            name
            for name in names
            if name == "__pycache__" or name.endswith(".egg-info") or (Path(folder) == ROOT and name in NOT_SOURCE)
        },
    )
    out = work / "out"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def test_the_wheel_holds_both_apps_with_their_templates_static_files_migrations_and_translations(dist):
    wheel, _ = dist
    names = set(zipfile.ZipFile(wheel).namelist())
    for app in APPS:
        assert shipped_files(app) <= names, sorted(shipped_files(app) - names)
        for needed in ("templates/", "static/", "migrations/0001_initial.py", "locale/es/LC_MESSAGES/django.mo"):
            assert any(name.startswith(f"{app}/{needed}") for name in names), f"{app}/{needed}"


def test_the_wheel_holds_the_vendored_leaflet_files(dist):
    """The maps are served from the package's own static files: a pip-installed site has no npm."""
    from tests.test_vendored_assets import SOURCES

    wheel, _ = dist
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in SOURCES if f"events/static/events/vendor/{name}" not in names]
    assert not missing, missing


def test_the_wheel_holds_the_stripe_emulator_with_its_fixtures(dist):
    wheel, _ = dist
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("__init__.py", "__main__.py", "server.py", "fixtures.json", "README.md"):
        assert f"registrations/stripe_emulator/{needed}" in names, needed


def test_the_apps_never_import_the_stripe_emulator():
    """The emulator is a developer tool shipped beside the app: only tests and demos import it."""
    importers = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "stripe_emulator" in path.relative_to(ROOT).parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
                else:
                    continue
                if any("stripe_emulator" in name for name in names):
                    importers.add(path.relative_to(ROOT).as_posix())
    assert not importers, importers


def test_the_wheel_holds_nothing_of_the_reference_site(dist):
    wheel, _ = dist
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert top_level - set(APPS) == {dist_info(wheel)}


def test_the_sdist_holds_the_apps_and_the_package_files_only(dist):
    _, sdist = dist
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "LICENSE", "README.md", "PKG-INFO"} <= names
    for app in APPS:
        assert shipped_files(app) <= names, sorted(shipped_files(app) - names)
    top_level = {name.split("/")[0] for name in names}
    assert not top_level & set(REFERENCE_SITE), top_level & set(REFERENCE_SITE)


def test_the_metadata_names_licence_python_and_dependencies(dist):
    wheel, _ = dist
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(f"{dist_info(wheel)}/METADATA").decode()
    assert "License-Expression: BSD-3-Clause" in metadata
    assert "Requires-Python: >=3.11" in metadata
    assert "Classifier: Framework :: Wagtail :: 8" in metadata
    requires = {
        line.split(": ", 1)[1].split(">")[0].split("<")[0].lower()
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist: ")
    }
    # Every package the apps import is a declared dependency (found from the import statements).
    assert requires >= imported_distributions(), imported_distributions() - requires


def dist_info(wheel):
    name, version = wheel.name.split("-")[:2]
    return f"{name}-{version}.dist-info"


def imported_distributions():
    modules = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - set(APPS)
    distributions = importlib.metadata.packages_distributions()
    return {distributions[module][0].lower() for module in third_party}


# A site of its own, with only the installed wheel: the repository is nowhere on the path.

SETTINGS = """
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "a-site-of-its-own"
DEBUG = True
ALLOWED_HOSTS = ["localhost"]
# No DEFAULT_AUTO_FIELD: Django's AutoField, not the BigAutoField of the apps' migrations.
INSTALLED_APPS = [
    "events",
    "registrations",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django_countries",
    "django_tasks",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Spanish")]
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
WAGTAIL_SITE_NAME = "A site of its own"
WAGTAILADMIN_BASE_URL = "http://localhost"
"""

SCRIPT = """
import importlib.util
import os
import sys
from pathlib import Path

import django

lib, repo = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
for entry in sys.path:
    assert not (entry and Path(entry).resolve() == repo), f"the repository is on the path: {entry}"
django.setup()

import events, registrations

for app in (events, registrations):
    assert Path(app.__file__).resolve().is_relative_to(lib), app.__file__
for module in ("config", "home", "bench", "tests"):
    assert importlib.util.find_spec(module) is None, f"{module} is importable"

from django.contrib.staticfiles import finders
from django.core import checks
from django.core.management import call_command
from django.template.loader import get_template
from django.utils import translation

call_command("check")
assert not [message for message in checks.run_checks() if message.id == "models.W042"], "no default_auto_field"
call_command("migrate", verbosity=0)
call_command("makemigrations", "events", "registrations", check=True, dry_run=True)
for template in ("events/event_page.html", "registrations/register.html", "registrations/checkin/page.html"):
    assert Path(get_template(template).origin.name).resolve().is_relative_to(lib), template
for asset in (
    "events/listing-filters.js",
    "events/vendor/leaflet/leaflet.js",
    "events/vendor/leaflet.markercluster/leaflet.markercluster.js",
    "registrations/checkin.js",
    "registrations/ticket.css",
):
    assert Path(finders.find(asset)).resolve().is_relative_to(lib), asset
with translation.override("es"):
    assert translation.gettext("Learning objectives") != "Learning objectives"  # events' catalogue
    assert translation.gettext("Register now") != "Register now"  # registrations' catalogue
assert "registrations.stripe_emulator" not in sys.modules, "the app imported the Stripe test emulator"

import stripe
from registrations.stripe_emulator import StripeEmulator

with StripeEmulator() as emulator:
    assert Path(sys.modules["registrations.stripe_emulator"].__file__).resolve().is_relative_to(lib)
    client = stripe.StripeClient("sk_test_wheel", base_addresses={"api": emulator.base_url}, max_network_retries=0)
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "http://localhost/done",
            "line_items": [
                {"quantity": 1, "price_data": {"currency": "usd", "unit_amount": 500, "product_data": {"name": "Seat"}}}
            ],
        }
    )
    assert session.amount_total == 500 and session.url.startswith(emulator.base_url)
print("installed apps work")
"""


def test_the_installed_wheel_alone_sets_up_checks_migrates_and_translates(dist, tmp_path):
    wheel, _ = dist
    lib = tmp_path / "lib"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(lib), str(wheel)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    site = tmp_path / "site"
    site.mkdir()
    (site / "site_settings.py").write_text(textwrap.dedent(SETTINGS))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "DJANGO", "DATABASE"))}
    env |= {"PYTHONPATH": os.pathsep.join([str(lib), str(site)]), "DJANGO_SETTINGS_MODULE": "site_settings"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(lib), str(ROOT)], cwd=site, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "installed apps work" in result.stdout
