"""Run the local Stripe stand-in (localstripe) on loopback only, keeping nothing on disk.

localstripe's own CLI listens on every interface and pickles its state to /tmp after each
change; this runner binds 127.0.0.1 and keeps state in memory for the life of the process.

    python scripts/stripe_standin.py --port 8420
"""

import argparse
import logging

from localstripe import resources

# Must be replaced before localstripe.server is imported.
resources.Store.dump_to_disk = lambda self: None
resources.Store.try_load_from_disk = lambda self: None

from aiohttp import web  # noqa: E402
from localstripe.server import app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8420)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="stripe-standin %(levelname)s %(message)s")
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
