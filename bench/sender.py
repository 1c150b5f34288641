"""The sender's rate: ``flask worker`` processes sending queued SMS to the fake gateway (tests/fake_gateway.py,
in this process) through the real HTTP sender (SMS_BACKEND=http), and whether any message was sent twice.
Target (issue 19): at least 200 messages a second.

    .venv/bin/python bench/sender.py [--messages 3000] [--workers 1] [--database-url URL]

Without --database-url it makes a fresh PostgreSQL database ``markaz_bench_sender`` on 127.0.0.1:5432 (the
engine several hosts share); ``--database-url sqlite:///...`` measures SQLite. The clock runs from the
gateway's first request to its last, so the workers' start-up (imports) is not counted.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.catalogue import ROOT, VENV_BIN, bench_env
from tests.fake_gateway import FakeGateway

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def fresh_postgres(name: str) -> str:
    engine = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return f"{SERVER}/{name}"


def queue_messages(database_url: str, count: int) -> None:
    """``count`` SMS in the outbox, Urdu and English, as the services queue them (one multi-row insert)."""
    os.environ["DATABASE_URL"] = database_url
    from app import create_app
    from database import utcnow
    from extensions import db
    from notifications.models import OutboxMessage, new_idempotency_key
    from vocabulary import Channel

    app = create_app()
    with app.app_context():
        now = utcnow()
        rows = [
            {
                "created_at": now,
                "kind": "bench",
                "channel": Channel.SMS,
                "recipient": f"+92300{number:07d}",
                "body": "آپ کی جگہ پکی ہو گئی ہے" if number % 2 else "You have a place in WEB-101.",
                "idempotency_key": new_idempotency_key(),
            }
            for number in range(count)
        ]
        db.session.execute(sa.insert(OutboxMessage), rows)
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="markaz-bench-sender-"))
    database_url = args.database_url or fresh_postgres("markaz_bench_sender")
    env = bench_env(database_url, workdir)
    subprocess.run([str(VENV_BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    queue_messages(database_url, args.messages)

    with FakeGateway() as gateway:
        worker_env = env | {
            "SMS_BACKEND": "http",
            "MARKAZ_SMS_URL": gateway.url,
            "MARKAZ_SMS_METHOD": "POST",
            "MARKAZ_WORKER_SEND_SECONDS": "0.2",
            "MARKAZ_LOG_LEVEL": "WARNING",
        }
        workers = [
            subprocess.Popen([str(VENV_BIN / "flask"), "worker"], cwd=ROOT, env=worker_env, stdout=subprocess.DEVNULL)
            for _ in range(args.workers)
        ]
        try:
            deadline = time.monotonic() + 600
            while len(gateway.received) < args.messages and time.monotonic() < deadline:
                time.sleep(0.05)
                if any(worker.poll() is not None for worker in workers):
                    sys.exit("a worker stopped")
            first, last = gateway.first_at, gateway.last_at
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=60)
        accepted = gateway.accepted()

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        sent = connection.execute(sa.text("SELECT count(*) FROM outbox_message WHERE status = 'sent'")).scalar()
    engine.dispose()
    seconds = last - first
    twice = sum(1 for count in accepted.values() if count > 1)
    print(f"database: {database_url.split('@')[-1]}; {args.workers} worker(s); {os.cpu_count()} cores")
    print(f"{len(gateway.received)} requests to the gateway for {args.messages} messages; {sent} marked sent")
    print(f"{seconds:.2f} s from the first to the last: {args.messages / seconds:.0f} messages/s")
    print(f"sent twice: {twice}; load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
