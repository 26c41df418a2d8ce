"""The load generator: closed-loop HTTP clients in several processes, standard library only.

Each client holds one keep-alive connection (it reconnects when the server closes it, as
gunicorn's sync workers do after every response) and sends its next request as soon as the last
answer is read, so N clients keep N requests in flight. A Python client is cheap but not free:
clients run in separate processes so that the GIL of one never delays another's timing.

Two kinds of work:
- `run_reads`: N clients GET a list of paths round-robin for a fixed time; every request's
  latency and status come back.
- `run_rush`: N buyers each repeat the whole journey a person makes (event page, form, submit,
  confirmation page; for a paid ticket the Stripe emulator's checkout page too) until the ticket
  is sold out.
"""

import http.client
import multiprocessing
import random
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit


class Client:
    """One keep-alive connection to one host, with a cookie jar."""

    def __init__(self, base_url, timeout=60):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.timeout = timeout
        self.connection = None
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers, body text, seconds); `body` is a dict sent as a form."""
        headers = dict(headers or {})
        payload = None
        if body is not None:
            payload = urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.perf_counter()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.connection.request(method, path, payload, headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed a kept-alive connection before our request reached it; a
                # browser retries such a request once on a new connection, and so do we.
                self.close()
                if attempt == 2:
                    raise
        elapsed = time.perf_counter() - started
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = value.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, response.headers, text, elapsed

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# -- reads -----------------------------------------------------------------------------------------


def _read_client(base_url, paths, seconds, seed):
    """One client: GET `paths` round-robin from a random start for `seconds`; [(seconds, status)]."""
    client = Client(base_url)
    order = list(paths)
    n = random.Random(seed).randrange(len(order))
    samples = []
    stop_at = time.perf_counter() + seconds
    while time.perf_counter() < stop_at:
        try:
            status, _, _, elapsed = client.request("GET", order[n % len(order)])
        except OSError:
            status, elapsed = 0, 0.0  # a connection error counts as an error, its time is not a latency
            client.close()
        samples.append((elapsed, status))
        n += 1
    client.close()
    return samples


def _child(target, job, ready, go, results):
    ready.put(True)
    go.wait()
    results.put(target(*job))


def in_processes(target, jobs):
    """Run target(*job) for each job in a process of its own, all starting at the same moment
    (once every process is up); returns that moment (time.time()) and their results."""
    context = multiprocessing.get_context("spawn")
    ready, go, results = context.Queue(), context.Event(), context.Queue()
    processes = [context.Process(target=_child, args=(target, job, ready, go, results)) for job in jobs]
    for process in processes:
        process.start()
    for _ in processes:
        ready.get()
    go.set()
    started = time.time()
    collected = [results.get() for _ in processes]  # before join: a child exits once its result is read
    for process in processes:
        process.join()
    return started, collected


def run_reads(base_url, paths, clients, seconds):
    """`clients` processes GET `paths` for `seconds`; returns [(seconds, status)] of all requests."""
    _, results = in_processes(_read_client, [(base_url, paths, seconds, seed) for seed in range(clients)])
    return [sample for samples in results for sample in samples]


# -- the ticket rush -------------------------------------------------------------------------------

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM = re.compile(r'<form method="post" class="register-form".*?</form>', re.S)
INPUT = re.compile(r"<input\b[^>]*>", re.S)
ATTR = re.compile(r'([a-zA-Z_:-]+)(?:="([^"]*)")?')
SOLD_OUT = "sold out"


@dataclass
class RushStats:
    """What the buyers of one process saw."""

    steps: dict = field(default_factory=dict)  # step name -> [(seconds, status)]
    confirmed_at: list = field(default_factory=list)  # time.time() of each confirmation page
    journeys: int = 0
    sold_out: int = 0  # journeys that ended on a sold-out message (not errors)
    failures: list = field(default_factory=list)  # unexpected answers, first few kept
    failure_count: int = 0
    server_errors: int = 0  # 5xx answers from the site
    abandoned_sessions: list = field(default_factory=list)  # Checkout Sessions left open (paid rush)
    paid: int = 0
    cancelled: int = 0

    def merge(self, other):
        for name, samples in other.steps.items():
            self.steps.setdefault(name, []).extend(samples)
        self.confirmed_at += other.confirmed_at
        self.failures += other.failures[: max(0, 10 - len(self.failures))]
        self.abandoned_sessions += other.abandoned_sessions
        for name in ("journeys", "sold_out", "failure_count", "server_errors", "paid", "cancelled"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def form_fields(page, ticket_type, n):
    """The register form filled as a person would: hidden fields kept, our ticket chosen, every
    required text field filled (not the optional code), every checkbox (consents) ticked. None if
    our ticket is disabled."""
    form = FORM.search(page)
    if form is None:
        return None
    data, ticket_open = {}, False
    for tag in INPUT.findall(form.group(0)):
        attrs = {k: v for k, v in ATTR.findall(tag[6:])}
        name, kind = attrs.get("name"), attrs.get("type", "text")
        if not name:
            continue
        if name == "ticket_type":
            if attrs.get("value") == str(ticket_type):
                ticket_open = "disabled" not in attrs
                data[name] = attrs["value"]
        elif kind == "hidden":
            data[name] = attrs.get("value", "")
        elif kind == "checkbox":
            data[name] = attrs.get("value") or "on"
        elif name == "quantity":
            data[name] = "1"
        elif kind == "email" or name.endswith("email"):
            data[name] = f"buyer{n}@bench.example"
        elif kind in ("text", "tel", "url", "number") and "required" in attrs:  # not the optional code
            data[name] = f"Bench Buyer {n}"
        elif attrs.get("value"):  # what the page filled in (the code of the link followed)
            data[name] = attrs["value"]
    return data if ticket_open else None


class Buyer:
    """One person after another at one browser: repeat the journey until the ticket is sold out."""

    def __init__(self, site_url, event_slug, ticket_type, stats, lock, emulator_url=None, seed=0, code=""):
        self.site = Client(site_url)
        self.emulator = Client(emulator_url) if emulator_url else None
        self.slug, self.ticket_type = event_slug, ticket_type
        self.link = f"/events/{event_slug}/register/" + (f"?code={code}" if code else "")  # as the organizer shared it
        self.stats, self.lock = stats, lock
        self.rng = random.Random(seed)
        self.number = seed * 1_000_000

    def get(self, client, step, path, method="GET", body=None):
        status, headers, text, elapsed = client.request(method, path, body)
        with self.lock:
            self.stats.steps.setdefault(step, []).append((elapsed, status))
            if client is self.site and status >= 500:
                self.stats.server_errors += 1
        return status, headers, text

    def fail(self, what):
        with self.lock:
            self.stats.failure_count += 1
            if len(self.stats.failures) < 10:
                self.stats.failures.append(what[:300])

    def run(self):
        while self.journey():
            pass
        self.site.close()
        if self.emulator:
            self.emulator.close()

    def journey(self):
        """One person's visit; False once the ticket is sold out."""
        self.number += 1
        self.site.cookies.clear()  # a new person: a new session and CSRF cookie
        with self.lock:
            self.stats.journeys += 1
        status, _, _ = self.get(self.site, "event page", f"/events/{self.slug}/")
        if status != 200:
            self.fail(f"event page answered {status}")
            return status < 500 or self.keep_trying()
        status, _, page = self.get(self.site, "register form", self.link)
        if status != 200:
            self.fail(f"register form answered {status}")
            return self.keep_trying()
        data = form_fields(page, self.ticket_type, self.number)
        if data is None:
            return self.sold_out()
        status, headers, page = self.get(self.site, "submit", f"/events/{self.slug}/register/", "POST", data)
        location = headers.get("Location", "")
        if status == 200 and SOLD_OUT in page:
            return self.sold_out()
        if status in (302, 303) and location.startswith("/orders/"):
            return self.confirmation(location)
        if status == 303 and "/pay/" in location and self.emulator:
            return self.pay(location)
        self.fail(f"submit answered {status} {location} {page[:200] if status == 200 else ''}")
        return self.keep_trying()

    def confirmation(self, location, step="confirmation page"):
        status, _, page = self.get(self.site, step, urlsplit(location).path)
        if status == 200:
            with self.lock:
                self.stats.confirmed_at.append(time.time())
        else:
            self.fail(f"{step} answered {status}")
        return True

    def pay(self, location):
        """The paid journey past the form: Stripe's page, then pay (most), go back, or just leave."""
        session_id = location.rsplit("/", 1)[-1]
        status, _, page = self.get(self.emulator, "checkout page", urlsplit(location).path)
        if status != 200:
            self.fail(f"checkout page answered {status}")
            return True
        choice = self.rng.random()
        if choice < 0.8:
            status, headers, _ = self.get(self.emulator, "pay", f"/pay/{session_id}", "POST", {})
            success = headers.get("Location", "")
            if status != 303 or "/checkout/success/" not in success:
                self.fail(f"pay answered {status} {success}")
                return True
            parts = urlsplit(success)
            status, headers, _ = self.get(self.site, "success page", f"{parts.path}?{parts.query}")
            if status != 302:
                self.fail(f"success page answered {status}")
                return True
            with self.lock:
                self.stats.paid += 1
            return self.confirmation(headers["Location"], step="order page")
        if choice < 0.9:
            cancel = re.search(r'<a href="([^"]+)">Cancel and go back', page)
            status, headers, _ = self.get(self.site, "cancel", urlsplit(cancel.group(1).replace("&amp;", "&")).path)
            with self.lock:
                self.stats.cancelled += 1
            return True
        with self.lock:
            self.stats.abandoned_sessions.append(session_id)
        return True

    def sold_out(self):
        with self.lock:
            self.stats.sold_out += 1
        return False

    def keep_trying(self):
        """After an unexpected answer the person tries again, unless things are badly wrong."""
        with self.lock:
            return self.stats.failure_count < 100


def _rush_process(site_url, slug, ticket_type, buyers, first_seed, emulator_url, code):
    stats, lock = RushStats(), threading.Lock()
    people = [
        Buyer(site_url, slug, ticket_type, stats, lock, emulator_url, first_seed + n, code) for n in range(buyers)
    ]
    threads = [threading.Thread(target=person.run) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return stats


def run_rush(site_url, slug, ticket_type, buyers, processes, emulator_url=None, code=""):
    """`buyers` concurrent buyers (threads spread over `processes`), each coming by the event's
    code link when `code` is given; returns (RushStats, start time)."""
    shares = [buyers // processes + (1 if n < buyers % processes else 0) for n in range(processes)]
    jobs = [
        (site_url, slug, ticket_type, share, 1 + sum(shares[:n]), emulator_url, code) for n, share in enumerate(shares)
    ]
    started, results = in_processes(_rush_process, jobs)
    total = RushStats()
    for stats in results:
        total.merge(stats)
    return total, started
