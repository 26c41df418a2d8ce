"""The maps' JavaScript (Leaflet and its marker clustering) is served by the site from copies
committed in the events app (a pip-installed site has no npm): those copies are byte for byte the
files of the versions pinned in package.json / package-lock.json, which `make test` installs
(`npm ci`). A version bump without `make vendor` fails here."""

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "events" / "static" / "events" / "vendor"
NODE_MODULES = ROOT / "node_modules"

# Each vendored file and where it comes from in node_modules.
SOURCES = {
    "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
    "leaflet/leaflet.js.map": "leaflet/dist/leaflet.js.map",
    "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
    "leaflet/images/layers.png": "leaflet/dist/images/layers.png",
    "leaflet/images/layers-2x.png": "leaflet/dist/images/layers-2x.png",
    "leaflet/images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
    "leaflet/LICENSE": "leaflet/LICENSE",
    "leaflet.markercluster/leaflet.markercluster.js": "leaflet.markercluster/dist/leaflet.markercluster.js",
    "leaflet.markercluster/leaflet.markercluster.js.map": "leaflet.markercluster/dist/leaflet.markercluster.js.map",
    "leaflet.markercluster/MarkerCluster.css": "leaflet.markercluster/dist/MarkerCluster.css",
    "leaflet.markercluster/MarkerCluster.Default.css": "leaflet.markercluster/dist/MarkerCluster.Default.css",
    "leaflet.markercluster/MIT-LICENCE.txt": "leaflet.markercluster/MIT-LICENCE.txt",
}


def test_the_vendored_leaflet_files_are_those_of_the_pinned_versions():
    assert NODE_MODULES.is_dir(), "no node_modules: run `npm ci` (make js-deps) first"
    differ = [
        name for name, source in SOURCES.items() if (VENDOR / name).read_bytes() != (NODE_MODULES / source).read_bytes()
    ]
    assert not differ, f"run `make vendor` and commit: {differ}"


def test_nothing_else_is_vendored():
    """Every vendored file is one the test above compares (no stale file of an older version)."""
    present = {path.relative_to(VENDOR).as_posix() for path in VENDOR.rglob("*") if path.is_file()}
    assert present == set(SOURCES), present ^ set(SOURCES)


def test_the_installed_versions_are_the_pinned_ones():
    """node_modules holds what package-lock.json pins (npm ci), and package.json pins exact versions."""
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]
    lock = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    for name in ("leaflet", "leaflet.markercluster"):
        assert pinned[name][0].isdigit(), f"{name}: pin an exact version (npm install --save-exact)"
        installed = json.loads((NODE_MODULES / name / "package.json").read_text())["version"]
        assert pinned[name] == lock[f"node_modules/{name}"]["version"] == installed, name
