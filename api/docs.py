"""The API's docs page: Swagger UI, vendored (``static/vendor/swagger-ui``), reading the generated
``/api/v1/openapi.json``. It works offline, and without inline script (the site's CSP)."""

from flask import Flask, render_template

from auth.permissions import PUBLIC, allow


@allow(PUBLIC)
def docs_page():
    return render_template("api/docs.html")


def register(app: Flask) -> None:
    app.add_url_rule("/api/docs", endpoint="api_docs", view_func=docs_page)
