"""Links that leave the site (in email and SMS): always built from the configured public address.

A link built from the request (``url_for(..., _external=True)``) takes its host from the ``Host`` header,
which whoever sends the request chooses: a password-reset request sent with ``Host: evil.example`` would
mail the account's owner a link to the attacker's site carrying a working reset token. So every absolute
link is built here, from ``BASE_URL`` (``MARKAZ_BASE_URL``), the same in a request, a CLI command or a
worker, and never from anything the request says.
"""

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values) -> str:
    """The full address of ``endpoint`` (with ``values`` as ``url_for`` takes them) on the public site
    named by ``BASE_URL``, a path prefix included (``https://example.pk/markaz`` → ``https://example.pk/markaz/auth/...``)."""
    base = urlsplit(current_app.config["BASE_URL"])
    current_app.inject_url_defaults(endpoint, values)
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)
