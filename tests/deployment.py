"""The files of ``deploy/`` made runnable on this machine, for the tests that check them: ``deploy/nginx.conf``
with its example addresses, ports and paths replaced (``nginx_site``) inside a main configuration of the
test's own (``nginx_main``), a self-signed certificate made as the README says (``self_signed``), and the
systemd units with their paths pointing at this checkout (``systemd_units``).

Each replacement names the exact text it replaces and fails if that text is gone: a change to the deploy
files that the tests would no longer exercise is a failure, not a silently untested file.

Tools missing (nginx, its brotli modules, openssl, systemd-analyze) skip a test locally and fail it under
``CI=true`` (``.ci/run`` installs them): ``need``.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
IN_CI = os.environ.get("CI", "").lower() == "true"
HOST = "markaz.example.pk"
# Debian's packages libnginx-mod-http-brotli-filter and -static put their modules here.
NGINX_MODULES = Path("/usr/lib/nginx/modules")
BROTLI_MODULES = ("ngx_http_brotli_filter_module.so", "ngx_http_brotli_static_module.so")
UNITS = ("markaz-web.service", "markaz-worker.service", "markaz-jobs.service", "markaz-jobs.timer")


def need(tool: str, found: bool | None = None) -> None:
    """Skip (locally) or fail (under CI=true) unless ``tool`` is on the PATH (or ``found`` says it is there)."""
    if found is None:
        found = shutil.which(tool) is not None
    if found:
        return
    message = f"{tool} is not installed (.ci/run installs it with apt)"
    if IN_CI:
        pytest.fail(f"{message} and CI=true: the deployment cannot be tested")
    pytest.skip(message)


def need_nginx() -> str:
    """The nginx binary, with Debian's brotli modules beside it."""
    need("nginx", shutil.which("nginx") is not None or Path("/usr/sbin/nginx").exists())
    need(
        "libnginx-mod-http-brotli-filter and -static",
        all((NGINX_MODULES / module).exists() for module in BROTLI_MODULES),
    )
    return shutil.which("nginx") or "/usr/sbin/nginx"


def replaced(text: str, replacements: dict[str, str], source: str) -> str:
    for old, new in replacements.items():
        assert old in text, f"{source} no longer holds {old!r}: update tests/deployment.py with it"
        text = text.replace(old, new)
    return text


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``HOST`` made with the command deploy/nginx.conf gives."""
    need("openssl")
    folder.mkdir(parents=True, exist_ok=True)
    key, certificate = folder / "privkey.pem", folder / "fullchain.pem"
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={HOST}"]
    command += ["-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(key), "-out", str(certificate)]
    subprocess.run(
        command,
        check=True,
        capture_output=True,
    )
    return certificate, key


def nginx_site(
    *, app_hosts: list[str], https_port: int, http_port: int, collected: Path, certificate: Path, key: Path
) -> str:
    """deploy/nginx.conf with the app hosts, ports, certificate and collected static files of a test."""
    site = (DEPLOY / "nginx.conf").read_text()
    upstreams = "\n    ".join(f"server {host} max_fails=1 fail_timeout=10s;" for host in app_hosts)
    return replaced(
        site,
        {
            "server 10.0.0.11:8000 max_fails=1 fail_timeout=10s;\n    server 10.0.0.12:8000 max_fails=1 "
            "fail_timeout=10s;": upstreams,
            "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
            "listen 80;": f"listen 127.0.0.1:{http_port};",
            "/etc/ssl/markaz/fullchain.pem;": f"{certificate};",
            "/etc/ssl/markaz/privkey.pem;": f"{key};",
            "root /srv/markaz/collected;": f"root {collected};",
            "root /var/www/letsencrypt;": f"root {collected};",
        },
        "deploy/nginx.conf",
    )


def nginx_main(folder: Path, site: str) -> Path:
    """A main configuration like Debian's /etc/nginx/nginx.conf (brotli modules, mime types, ``gzip on``),
    with its pid, logs and temporary files in ``folder``, including ``site``; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "markaz.conf").write_text(site)
    modules = "".join(f"load_module {NGINX_MODULES / module};\n" for module in BROTLI_MODULES)
    temporary = "".join(
        f"    {kind}_temp_path {folder / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # nginx started by root would run its workers as nobody, who cannot read pytest's private temporary folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    main = folder / "nginx.conf"
    main.write_text(
        f"{modules}{user}worker_processes 2;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\n"
        "events { worker_connections 512; }\n"
        "http {\n"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        "    sendfile on;\n"
        f"    access_log {folder / 'access.log'};\n"
        "    gzip on;\n"
        f"{temporary}"
        f"    include {folder / 'markaz.conf'};\n"
        "}\n"
    )
    return main


def nginx_command(nginx: str, main: Path, *arguments: str) -> list[str]:
    return [nginx, "-p", str(main.parent), "-e", str(main.parent / "error.log"), "-c", str(main), *arguments]


def systemd_units(folder: Path) -> list[Path]:
    """The units of deploy/ with this checkout's paths (systemd-analyze checks that the programs exist)."""
    folder.mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.executable).parent
    paths = []
    for name in UNITS:
        text = (DEPLOY / name).read_text()
        text = text.replace("/srv/markaz/app/.venv/bin", str(venv_bin)).replace("/srv/markaz/app", str(ROOT))
        path = folder / name
        path.write_text(text)
        paths.append(path)
    return paths
