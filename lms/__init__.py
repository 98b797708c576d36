"""The RNM-MAPE training platform: create_app() binds config, extensions, blueprints, CLI and errors."""

import os

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import DEFAULT_SECRET_KEY, INSTANCE_DIR, Config
from lms.extensions import IdConverter, SessionInterface, babel, compress, csrf, db, limiter, login_manager, migrate


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.url_map.converters["int"] = IdConverter  # before any route: ids a column cannot hold are a 404
    app.config.from_object(Config)
    app.config.update(overrides or {})
    _refuse_unsafe_production(app)
    os.makedirs(app.instance_path, exist_ok=True)
    _init_extensions(app)
    _register_blueprints(app)
    from lms.cli import register_cli

    register_cli(app)
    return app


def _refuse_unsafe_production(app: Flask) -> None:
    if app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] in (DEFAULT_SECRET_KEY, "", None):
        raise RuntimeError("SECRET_KEY must be set in production (LMS_ENV=production).")


def _init_extensions(app: Flask) -> None:
    import lms.models  # noqa: F401 - the whole schema, for create_all and migrations
    from lms.accounts.access import load_user
    from lms.site.views import buffer_static, security_headers, select_locale

    if app.config["TRUSTED_PROXIES"]:
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)
    app.session_interface = SessionInterface()
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    compress.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    app.after_request(security_headers)
    app.after_request(buffer_static)  # registered last, so it runs before compression


def _register_blueprints(app: Flask) -> None:
    from lms.accounts.cohorts import bp as cohorts_bp
    from lms.accounts.people import admin_bp
    from lms.accounts.people import bp as people_bp
    from lms.accounts.views import bp as accounts_bp
    from lms.authoring.views import bp as authoring_bp
    from lms.certificates.badge_views import bp as badges_bp
    from lms.certificates.settings_views import bp as certificate_settings_bp
    from lms.certificates.views import bp as certificates_bp
    from lms.courses.views import bp as courses_bp
    from lms.learning.teaching import bp as teaching_bp
    from lms.learning.views import bp as learning_bp
    from lms.privacy.views import bp as privacy_bp
    from lms.reports.views import bp as reports_bp
    from lms.site.views import bp as site_bp
    from lms.site.views import register_error_pages
    from lms.workshops.views import bp as workshops_bp

    for blueprint in (site_bp, accounts_bp, privacy_bp, people_bp, admin_bp, cohorts_bp, courses_bp, authoring_bp,
                      learning_bp, teaching_bp, certificates_bp, badges_bp,
                      certificate_settings_bp, workshops_bp, reports_bp):
        app.register_blueprint(blueprint)
    register_error_pages(app)
