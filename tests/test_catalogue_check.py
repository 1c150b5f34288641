"""The Urdu catalogue check that ``make test`` (and so CI) runs: ``.ci/check-catalogue``. Each way the catalogue
can fall behind the code must fail it, naming what is wrong."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CHECK = ROOT / ".ci" / "check-catalogue"
CATALOGUE = ROOT / "translations" / "ur" / "LC_MESSAGES" / "messages.po"
SIGN_UP_BUTTON = "Create my account"  # on the sign-up page: a trainee-facing message


def run_check(catalogue: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(CHECK), "--catalogue", str(catalogue)], cwd=ROOT, capture_output=True, text=True
    )


def changed_copy(tmp_path: Path, change) -> Path:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="ur")
    change(catalogue)
    copy = tmp_path / "messages.po"
    with copy.open("wb") as handle:
        write_po(handle, catalogue, width=120)
    return copy


def test_the_committed_catalogue_is_complete_and_current():
    result = run_check(CATALOGUE)
    assert result.returncode == 0, result.stderr
    assert "(100.0%)" in result.stdout


def test_a_trainee_page_message_without_urdu_fails(tmp_path):
    def drop(catalogue):
        catalogue[SIGN_UP_BUTTON].string = ""

    result = run_check(changed_copy(tmp_path, drop))
    assert result.returncode == 1
    assert "1 messages on public or trainee pages have no Urdu" in result.stderr
    assert SIGN_UP_BUTTON in result.stderr


def test_a_fuzzy_guess_counts_as_missing(tmp_path):
    def guess(catalogue):
        catalogue[SIGN_UP_BUTTON].flags.add("fuzzy")

    result = run_check(changed_copy(tmp_path, guess))
    assert result.returncode == 1 and SIGN_UP_BUTTON in result.stderr


def test_a_message_the_code_has_but_the_catalogue_lacks_fails(tmp_path):
    def forget(catalogue):
        del catalogue[SIGN_UP_BUTTON]

    result = run_check(changed_copy(tmp_path, forget))
    assert result.returncode == 1
    assert "1 messages in the code are not in the catalogue" in result.stderr


def test_a_message_the_code_no_longer_has_fails(tmp_path):
    def keep_stale(catalogue):
        catalogue.add("A sentence no page says any more", "ایک جملہ جو اب کوئی صفحہ نہیں کہتا")

    result = run_check(changed_copy(tmp_path, keep_stale))
    assert result.returncode == 1
    assert "1 messages in the catalogue are no longer in the code" in result.stderr


@pytest.mark.parametrize("broken", ["آپ کو %(where)s میں داخلہ مل گیا ہے۔", "آپ کو داخلہ مل گیا ہے۔"])
def test_a_translation_that_loses_or_renames_a_placeholder_fails(tmp_path, broken):
    msgid = "You have a place in %(where)s."

    def break_it(catalogue):
        catalogue[msgid].string = broken.replace("%(where)s", "%(place)s")

    result = run_check(changed_copy(tmp_path, break_it))
    assert result.returncode == 1
    assert f"placeholders differ in the Urdu for {msgid!r}" in result.stderr
