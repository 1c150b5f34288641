"""The application factory. Nothing happens at import time: ``create_app`` builds everything."""

from flask import Flask

from config import Config
from database import configure_sqlite, register_request_hooks
from extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: object | None = None) -> Flask:
    """Build the Markaz app from ``config`` (default: ``Config()``, read from the environment)."""
    app = Flask(__name__)
    app.config.from_object(config or Config())

    register_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    register_request_hooks(app)

    register_blueprints(app)
    register_error_pages(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_models() -> None:
    """Import every model module so that the metadata (and so migrations) knows every table."""
    import auth.models  # noqa: F401
    import centres.models  # noqa: F401
    import courses.models  # noqa: F401
    import enrollments.models  # noqa: F401
    import oversight.models  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from api import bp as api_bp
    from auth import bp as auth_bp
    from centres import bp as centres_bp
    from courses import bp as courses_bp
    from enrollments import bp as enrollments_bp
    from home import bp as home_bp
    from oversight import bp as oversight_bp

    for blueprint in (home_bp, auth_bp, centres_bp, courses_bp, enrollments_bp, oversight_bp, api_bp):
        app.register_blueprint(blueprint)


def register_error_pages(app: Flask) -> None:
    from errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from seed.commands import seed_cli

    app.cli.add_command(seed_cli)
