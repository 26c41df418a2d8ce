"""A small local HTTP server that answers like Nominatim's /search (jsonv2), for the tests of the
venue editor's address lookup: `running(settings)` starts it, EVENTS_GEOCODER_URL pointing at it. Its
`answer` is (status, body) or ("sleep", seconds); `asked` lists the (path, headers) it was sent."""

import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FOUND = [
    {
        "place_id": 1,
        "licence": "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright",
        "osm_type": "way",
        "lat": "51.5255462",
        "lon": "-0.1339541",
        "category": "amenity",
        "type": "library",
        "display_name": "Wellcome Collection, 183, Euston Road, London, NW1 2BE, United Kingdom",
        "boundingbox": ["51.5252", "51.5258", "-0.1343", "-0.1336"],
    }
]


class Nominatim(BaseHTTPRequestHandler):
    """Answers /search as the server's `answer` says: (status, body) or ("sleep", seconds)."""

    def do_GET(self):
        self.server.asked.append((self.path, dict(self.headers)))
        kind, value = self.server.answer
        if kind == "sleep":
            time.sleep(value)
            kind, value = 200, FOUND
        body = value if isinstance(value, bytes) else json.dumps(value).encode()
        self.send_response(kind)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def running(settings):
    """The server, running, with the settings pointing at it (a timeout of 1 s)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Nominatim)
    server.daemon_threads = True
    server.asked, server.answer = [], (200, FOUND)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EVENTS_GEOCODER_URL = f"http://127.0.0.1:{server.server_port}/"
    settings.EVENTS_GEOCODER_TIMEOUT = 1
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
