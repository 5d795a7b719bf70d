from flask import Flask

from . import settings
from .routes import api


def create_app() -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(settings)
    # Machine-local overrides (instance/ is not committed).
    app.config.from_pyfile("config.py", silent=True)
    app.register_blueprint(api, url_prefix="/api")
    return app
