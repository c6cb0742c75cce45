"""Command line: `python -m backend migrate|serve|create-user|create-admin|lapor-institutions`."""

from __future__ import annotations

import argparse
import getpass
import multiprocessing
import os
import signal
import socket
import sys

import uvicorn

from backend.auth import Role
from backend.console.accounts import CONSOLE_ROLES, AccountError, save_user, set_active, unlock
from backend.db import make_engine, make_session_factory, session_scope
from backend.migrate import upgrade
from backend.retention import RetentionPolicy, purge
from backend.settings import get_settings
from backend.state import AppState
from lapor_common.logs import configure_logging


def _migrate() -> None:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.effective_database_url)


def _serve(args: argparse.Namespace) -> None:
    if not args.no_migrate:
        _migrate()
    if args.workers <= 1:
        _serve_one(reuse_port=False)
        return
    # Each worker binds its own SO_REUSEPORT socket, so the kernel spreads connections
    # evenly; with one shared socket, long-lived client connections pile up on
    # whichever worker accepted first.
    workers = [
        multiprocessing.Process(target=_serve_one, kwargs={"reuse_port": True}, daemon=False)
        for _ in range(args.workers)
    ]
    for worker in workers:
        worker.start()

    def _stop(_signum: int, _frame: object) -> None:
        for worker in workers:
            worker.terminate()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    for worker in workers:
        worker.join()


def _serve_one(reuse_port: bool) -> None:
    settings = get_settings()
    configure_logging("backend", settings.log_level.upper())
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit TCP_NODELAY; without it small responses wait ~40 ms
    # for delayed ACKs (the event loop only sets it on sockets it created itself).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((settings.backend_host, settings.backend_port))
    uvicorn.run(
        "backend.app:create_app",
        factory=True,
        fd=sock.fileno(),
        ws="none",  # nothing here uses websockets; Rasa pins websockets 10
        log_level=settings.log_level.lower(),
        log_config=None,  # uvicorn's lines go through ours (JSON with LOG_FORMAT=json)
        access_log=False,
    )


def _purge(dry_run: bool) -> None:
    settings = get_settings()
    _migrate()
    state = AppState.from_settings(settings)
    policy = RetentionPolicy(
        conversation_days=settings.conversation_retention_days,
        attachment_days=settings.attachment_retention_days,
    )
    try:
        result = purge(
            state.sessions, state.tracker_engine, state.attachments, policy, dry_run=dry_run
        )
    finally:
        state.engine.dispose()
        state.tracker_engine.dispose()
    print(("would remove " if dry_run else "removed ") + result.line())


def _create_user(args: argparse.Namespace) -> None:
    role = Role(args.role)
    if role is Role.OFFICER and not args.agency:
        sys.exit("An officer needs --agency (an agency code from data/categories.yaml).")
    password = os.environ.get("NEW_USER_PASSWORD") or getpass.getpass("Password: ")
    _migrate()
    settings = get_settings()
    engine = make_engine(settings.effective_database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            user = save_user(session, args.username, role, args.agency, password)
            set_active(session, user, True)
            unlock(session, user)
    except AccountError as exc:
        sys.exit(str(exc))
    finally:
        engine.dispose()
    print(f"User {args.username!r} saved as {role.value}. Log in at /admin.")


def _lapor_institutions(args: argparse.Namespace) -> None:
    from backend.lapor.errors import LaporError
    from backend.lapor.institutions import match_institutions, render_section, replace_section
    from backend.lapor.worker import client_from_settings, missing_credentials
    from backend.taxonomy import load_taxonomy

    settings = get_settings()
    missing = missing_credentials(settings)
    if missing:
        sys.exit(f"Set {' and '.join(missing)} (the institution's LAPOR! credentials) first.")
    taxonomy = load_taxonomy(settings.categories_file, settings.kecamatan_file)
    try:
        with client_from_settings(settings) as client:
            institutions = client.institutions()
    except LaporError as exc:
        sys.exit(f"LAPOR! institution list not read: {exc}")
    matches = match_institutions(taxonomy, institutions)
    section = render_section(matches)
    if not args.write:
        print(section, end="")
        return
    path = settings.lapor_mapping_file
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(replace_section(text, section), encoding="utf-8")
    found = sum(1 for m in matches if m.institution is not None)
    print(f"{path}: {found} of {len(matches)} agencies matched; check each line.")


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and run the chosen command."""
    configure_logging("backend")
    parser = argparse.ArgumentParser(prog="python -m backend")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")
    serve = commands.add_parser("serve", help="migrate, then serve the API")
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-migrate", action="store_true")
    user = commands.add_parser("create-user", help="create or update a console user")
    user.add_argument("username")
    user.add_argument("--role", choices=[r.value for r in CONSOLE_ROLES], required=True)
    user.add_argument("--agency", default=None)
    admin = commands.add_parser(
        "create-admin", help="create the first administrator (password asked, or NEW_USER_PASSWORD)"
    )
    admin.add_argument("username")
    institutions = commands.add_parser(
        "lapor-institutions",
        help="fetch LAPOR!'s institution list and print (or --write) the mapping's section",
    )
    institutions.add_argument(
        "--write", action="store_true", help="replace the section in LAPOR_MAPPING_FILE"
    )
    purge = commands.add_parser(
        "purge",
        help="remove conversations and finished reports' files older than the retention settings",
    )
    purge.add_argument("--dry-run", action="store_true", help="count, remove nothing")
    args = parser.parse_args(argv)
    if args.command == "migrate":
        _migrate()
    elif args.command == "serve":
        _serve(args)
    elif args.command == "lapor-institutions":
        _lapor_institutions(args)
    elif args.command == "purge":
        _purge(dry_run=args.dry_run)
    else:
        if args.command == "create-admin":
            args.role, args.agency = Role.ADMIN.value, None
        _create_user(args)


if __name__ == "__main__":
    main()
