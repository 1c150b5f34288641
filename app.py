"""The application factory. Nothing happens at import time: ``create_app`` builds everything."""

from flask import Flask

import text_input
from config import Config
from database import configure_sqlite, register_request_hooks
from extensions import babel, csrf, db, limiter, login_manager, migrate
from json_encoding import FastJSONProvider
from language import select_locale


def create_app(config: object | None = None) -> Flask:
    """Build the Markaz app from ``config`` (default: ``Config()``, read from the environment)."""
    app = Flask(__name__)
    app.json = FastJSONProvider(app)
    app.config.from_object(config or Config())
    text_input.register(app)  # before any route: path segments with control characters match none

    register_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    with app.app_context():
        configure_sqlite(db.engine)
    register_observability(app)
    register_request_hooks(app)

    register_blueprints(app)
    register_access_rules(app)
    register_read_replica(app)  # after the access gate: it decides once the gate knows who is asking
    register_static_files(app)
    register_error_pages(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_models() -> None:
    """Import every model module so that the metadata (and so migrations) knows every table."""
    import attendance.models  # noqa: F401
    import audit.models  # noqa: F401
    import auth.models  # noqa: F401
    import centres.models  # noqa: F401
    import certificates.models  # noqa: F401
    import courses.models  # noqa: F401
    import enrollments.imports.models
    import enrollments.models
    import enrollments.tallies  # noqa: F401
    import notifications.models  # noqa: F401
    import outcomes.models  # noqa: F401


def register_blueprints(app: Flask) -> None:
    """Register each domain package's blueprint (name = package name = URL prefix; home serves "/"), after
    importing the modules that hold its views, so that the views are attached: public and role pages in
    routes.py, admin pages in admin.py, staff pages in staff.py, the bulk import's pages, downloads in
    exports.py, the audit log's pages in audit_log.py. Views are imported here, not in the package's
    ``__init__``, so that importing a package's models never drags in views (and through them every
    other model). The API registers itself (``api.register_with``)."""
    import api
    import attendance.routes
    import auth.admin
    import auth.routes
    import auth.sessions  # registers the Flask-Login user loader
    import centres.admin
    import centres.routes
    import certificates.routes
    import certificates.staff
    import courses.admin
    import courses.routes
    import courses.staff
    import enrollments.imports.pages
    import enrollments.mark_pages
    import enrollments.merit_pages
    import enrollments.messaging
    import enrollments.offer_pages
    import enrollments.roster_files
    import enrollments.routes
    import enrollments.staff
    import health.routes
    import home.routes
    import notifications.admin
    import notifications.webhooks
    import outcomes.admin
    import outcomes.calls
    import outcomes.routes
    import oversight.audit_log
    import oversight.completion
    import oversight.exports
    import oversight.outcome_pages
    import oversight.routes

    packages = (home, health, auth, centres, certificates, courses, enrollments, attendance, oversight, outcomes)
    for package in (*packages, notifications):
        app.register_blueprint(package.bp)
    app.register_blueprint(notifications.webhooks.bp)
    api.register_with(app)


def register_observability(app: Flask) -> None:
    """Request ids and the request log line, then the metrics' timing: before every other hook, so that
    a request the access gate refuses is logged and timed too."""
    import request_log
    from health import metrics

    request_log.register(app)
    metrics.register(app)


def register_access_rules(app: Flask) -> None:
    import security
    from auth.permissions import register_gate

    register_gate(app)
    security.register(app)


def register_read_replica(app: Flask) -> None:
    import replica

    replica.register(app)


def register_static_files(app: Flask) -> None:
    import static_files

    static_files.register(app)


def register_error_pages(app: Flask) -> None:
    from errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from auth.commands import users_cli
    from enrollments.commands import completion_cli, offers_cli, reserves_cli
    from notifications.commands import outbox_cli
    from outcomes.commands import outcomes_cli
    from oversight.commands import oversight_cli
    from seed.commands import seed_cli
    from static_files import static_cli
    from worker import worker_command

    for group in (
        seed_cli,
        users_cli,
        outbox_cli,
        oversight_cli,
        offers_cli,
        reserves_cli,
        static_cli,
        outcomes_cli,
        completion_cli,
    ):
        app.cli.add_command(group)
    app.cli.add_command(worker_command)
