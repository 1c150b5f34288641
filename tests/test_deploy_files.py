"""The files a provincial IT team installs (``deploy/``) hold as written: nginx accepts the site configuration
(``nginx -t``, Debian's nginx with its brotli modules), systemd accepts the units (``systemd-analyze verify``),
and ``flask static collect`` lays out the hashed static files nginx serves. The configuration at work, in
front of two app hosts, is tested by tests/test_two_hosts.py. No database: SQLite only, where needed."""

import gc
import gzip
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import brotli
import pytest
from deployment import (
    DEPLOY,
    need,
    need_nginx,
    nginx_command,
    nginx_main,
    nginx_site,
    self_signed,
    systemd_units,
)

from config import Config
from static_files import collect, content_hash, hashed_name


def test_nginx_accepts_the_site_configuration(tmp_path):
    nginx = need_nginx()
    certificate, key = self_signed(tmp_path / "tls")
    site = nginx_site(
        app_hosts=["127.0.0.1:1", "127.0.0.1:2"],
        https_port=1443,
        http_port=1080,
        collected=tmp_path / "collected",
        certificate=certificate,
        key=key,
    )
    main = nginx_main(tmp_path / "nginx", site)
    checked = subprocess.run(nginx_command(nginx, main, "-t"), capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr


def test_nginx_refuses_a_broken_configuration(tmp_path):
    """The check above can fail: a directive nginx does not know is refused."""
    nginx = need_nginx()
    certificate, key = self_signed(tmp_path / "tls")
    site = nginx_site(
        app_hosts=["127.0.0.1:1"],
        https_port=1443,
        http_port=1080,
        collected=tmp_path,
        certificate=certificate,
        key=key,
    )
    main = nginx_main(tmp_path / "nginx", site.replace("gzip_static on;", "gzip_statik on;"))
    checked = subprocess.run(nginx_command(nginx, main, "-t"), capture_output=True, text=True)
    assert checked.returncode != 0
    assert 'unknown directive "gzip_statik"' in checked.stderr


def test_nginx_takes_uploads_as_large_as_the_app_does():
    size = re.search(r"client_max_body_size (\d+)m;", (DEPLOY / "nginx.conf").read_text())
    assert size, "deploy/nginx.conf sets no client_max_body_size in megabytes"
    assert int(size.group(1)) * 1024 * 1024 == Config.MAX_CONTENT_LENGTH


def test_systemd_accepts_the_units(tmp_path):
    need("systemd-analyze")
    units = systemd_units(tmp_path / "units")
    checked = subprocess.run(["systemd-analyze", "verify", *map(str, units)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr.strip() == "", checked.stderr  # warnings (an unknown key, a bad value) included


def test_systemd_analyze_finds_a_broken_unit(tmp_path):
    need("systemd-analyze")
    units = systemd_units(tmp_path / "units")
    web = units[0]
    web.write_text(web.read_text().replace("Type=exec", "Type=exec\nRestartSecs=2"))
    checked = subprocess.run(["systemd-analyze", "verify", str(web)], capture_output=True, text=True)
    assert "Unknown key 'RestartSecs'" in checked.stderr


def make_static(folder: Path, css: bytes) -> None:
    (folder / "css").mkdir(parents=True, exist_ok=True)
    (folder / "css" / "site.css").write_bytes(css)
    (folder / "img.png").write_bytes(b"\x89PNG not really")


def test_collect_writes_hashed_names_with_their_compressed_copies(tmp_path):
    static, out = tmp_path / "static", tmp_path / "out"
    css = b"body { color: #123456; }\n" * 40
    make_static(static, css)
    written, kept = collect(str(static), out)
    name = out / "static" / hashed_name("css/site.css", content_hash(css))
    assert name.read_bytes() == css
    assert Path(f"{name}.gz").exists() and Path(f"{name}.br").exists()
    assert gzip.decompress(Path(f"{name}.gz").read_bytes()) == css
    assert brotli.decompress(Path(f"{name}.br").read_bytes()) == css
    image = out / "static" / hashed_name("img.png", content_hash(b"\x89PNG not really"))
    assert image.exists() and not Path(f"{image}.gz").exists()  # not compressible: no copies
    assert (written, kept) == (4, 0)


def test_a_changed_file_gets_a_new_name_and_the_old_one_stays(tmp_path):
    static, out = tmp_path / "static", tmp_path / "out"
    make_static(static, b"body { color: red; }")
    collect(str(static), out)
    old = out / "static" / hashed_name("css/site.css", content_hash(b"body { color: red; }"))
    make_static(static, b"body { color: blue; }")
    written, kept = collect(str(static), out)
    new = out / "static" / hashed_name("css/site.css", content_hash(b"body { color: blue; }"))
    assert new != old and new.read_bytes() == b"body { color: blue; }"
    # A page rendered before this deploy still finds its stylesheet, compressed copies included.
    assert old.read_bytes() == b"body { color: red; }" and Path(f"{old}.br").exists()
    assert (written, kept) == (3, 1)  # the new stylesheet and its copies; the image was there


def test_collect_uses_the_copies_make_assets_compressed(tmp_path):
    static, out = tmp_path / "static", tmp_path / "out"
    css = b"p { margin: 0; }"
    make_static(static, css)
    (static / "dist" / "compressed").mkdir(parents=True)
    (static / "dist" / "compressed" / f"{content_hash(css)}.br").write_bytes(b"made by make assets")
    collect(str(static), out)
    name = out / "static" / hashed_name("css/site.css", content_hash(css))
    assert Path(f"{name}.br").read_bytes() == b"made by make assets"
    assert not (out / "static" / "dist" / "compressed").exists()  # the copies are not static files themselves


@pytest.mark.backends("sqlite")
def test_flask_static_collect_writes_the_app_static_files(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["static", "collect", str(tmp_path)])
    assert result.exit_code == 0, result.output
    stylesheet = Path(app.static_folder) / "css" / "markaz.css"
    collected = tmp_path / "static" / hashed_name("css/markaz.css", content_hash(stylesheet.read_bytes()))
    assert collected.read_bytes() == stylesheet.read_bytes() and Path(f"{collected}.br").exists()
    assert re.search(r"^\d+ files written, 0 already there", result.output)


def test_gunicorn_started_here_freezes_each_workers_startup_objects():
    """gunicorn reads ``gunicorn.conf.py`` from the working directory (the unit's, the Makefile's): its hook
    moves a loaded worker's objects out of the collector's sight."""
    root = Path(__file__).resolve().parent.parent
    printed = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--print-config", "app:create_app()"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert re.search(r"^post_worker_init\s+= <post_worker_init\(\)>", printed, re.MULTILINE)
    spec = importlib.util.spec_from_file_location("gunicorn_settings", root / "gunicorn.conf.py")
    settings = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(settings)
    try:
        settings.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
