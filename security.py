"""Response headers that every page carries, and trusting a reverse proxy only when told to.

The Content-Security-Policy allows scripts, styles, fonts and images from this site only, and no
inline script: templates load JavaScript from ``static/`` and never write it inline.
"""

from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def register(app: Flask) -> None:
    proxies = app.config.get("PROXY_COUNT", 0)
    if proxies:
        # Behind a load balancer: take the client address (for throttling and the audit log) and the
        # scheme (for Secure cookies) from the last ``proxies`` X-Forwarded-* hops only.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages can show personal data: never keep them in shared caches.
            headers.setdefault("Cache-Control", "no-store")
        return response


def sent_from_another_site() -> bool:
    """Whether the browser says a page of another site sent this request: its ``Sec-Fetch-Site`` header
    (current browsers), else an ``Origin`` naming another host. A request that says neither is taken as this
    site's: browsers send one of them with every form they POST, and a forged request needs a browser."""
    fetched_from = request.headers.get("Sec-Fetch-Site")
    if fetched_from is not None:
        return fetched_from not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is not None and urlsplit(origin).netloc != request.host
