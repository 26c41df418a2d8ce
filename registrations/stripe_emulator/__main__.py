"""Run the emulator standalone: python -m registrations.stripe_emulator --port 12111 ..."""

import argparse
import threading

from .server import StripeEmulator

parser = argparse.ArgumentParser(prog="python -m registrations.stripe_emulator", description=__doc__)
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=12111)
parser.add_argument("--webhook-url", help="where to POST signed webhook events")
parser.add_argument("--webhook-secret", default="whsec_test")
parser.add_argument("--verbose", action="store_true", help="log every request")
args = parser.parse_args()

emulator = StripeEmulator(args.host, args.port, args.webhook_url, args.webhook_secret, verbose=args.verbose).start()
print(f"Stripe emulator listening on {emulator.base_url} (webhooks to {args.webhook_url or 'nowhere yet'})", flush=True)
try:
    threading.Event().wait()
except KeyboardInterrupt:
    emulator.stop()
