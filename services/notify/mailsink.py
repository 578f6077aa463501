"""A local SMTP server that keeps every message it receives in a Maildir, for development: `subsidy
up` runs it (supervised like a service) and points notify at it, so sent mail can be read in
`.data/mail/new/`, one file per message (`mutt -f .data/mail` reads it as a mailbox too).

    python -m services.notify.mailsink --maildir .data/mail --port 8025
"""

import argparse
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maildir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    for sub in ("tmp", "new", "cur"):  # a Maildir, made whole even where the folder already exists
        (args.maildir / sub).mkdir(parents=True, exist_ok=True)
    controller = Controller(Mailbox(args.maildir), hostname=args.host, port=args.port)
    controller.start()
    print(f"mail sink on {args.host}:{args.port}, keeping mail in {args.maildir}", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
