"""Issue 14, item 16: the audit log reads as sentences in the reader's language, names linked, the recorded
detail behind a toggle (``oversight/audit_sentences.py``); and every action the code writes has a sentence."""

import ast
import re
from pathlib import Path

import pytest
from flask_babel import force_locale
from pages import act_as, text

from audit.models import AuditEvent
from enrollments import services
from extensions import db
from oversight.audit_sentences import SENTENCES, describe
from oversight.queries import KNOWN_ACTIONS, EventNames, audit_event_names
from vocabulary import Admission, Role

ROOT = Path(__file__).resolve().parent.parent
NOT_APPLICATION_CODE = {"tests", ".venv", "migrations", "bench", "build", "node_modules"}
WRITERS = {"record", "record_many", "audit"}  # audit.events' writers, and enrollments' own wrapper


def application_files():
    for path in ROOT.glob("**/*.py"):
        if path.relative_to(ROOT).parts[0] not in NOT_APPLICATION_CODE:
            yield path


def strings_of(node: ast.AST, assigned: dict[str, list[ast.AST]]) -> tuple[set[str], set[str]]:
    """The actions an expression can be: literal strings (through ``x if c else y`` and local names
    assigned a literal), and the literal prefix of an f-string (``f"export.{what}"`` → ``export.``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}, set()
    if isinstance(node, ast.IfExp):
        body, body_prefixes = strings_of(node.body, assigned)
        orelse, orelse_prefixes = strings_of(node.orelse, assigned)
        return body | orelse, body_prefixes | orelse_prefixes
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return set(), {node.values[0].value}
    if isinstance(node, ast.Name):
        found, prefixes = set(), set()
        for value in assigned.get(node.id, []):
            more, more_prefixes = strings_of(value, {})
            found, prefixes = found | more, prefixes | more_prefixes
        return found, prefixes
    return set(), set()


def actions_in_code() -> tuple[dict[str, str], dict[str, str], set[str]]:
    """Every action the application passes to a writer of the audit trail, with the file that writes it;
    the prefixes of actions built with an f-string; and the names given to downloads (``Table(what=...)``,
    recorded as ``export.<what>``)."""
    actions, prefixes, downloads = {}, {}, set()
    for path in application_files():
        tree = ast.parse(path.read_text(), str(path))
        for function in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))]:
            assigned: dict[str, list[ast.AST]] = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                    assigned.setdefault(node.targets[0].id, []).append(node.value)
            for node in ast.walk(function):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in WRITERS and len(node.args) >= 2:
                    found, found_prefixes = strings_of(node.args[1], assigned)
                    where = str(path.relative_to(ROOT))
                    actions |= dict.fromkeys(found, where)
                    prefixes |= dict.fromkeys(found_prefixes, where)
                if name == "Table":
                    downloads |= {
                        k.value.value for k in node.keywords if k.arg == "what" and isinstance(k.value, ast.Constant)
                    }
    return actions, prefixes, downloads


def test_every_action_the_code_writes_has_a_sentence():
    """Whoever adds an action to the audit trail gives it a sentence: this names the actions that have none."""
    actions, prefixes, downloads = actions_in_code()
    assert "enrollment.approve" in actions and "enrollment." in prefixes and "audit_log" in downloads  # the scan works
    wanted = dict(actions) | dict.fromkeys(KNOWN_ACTIONS, "oversight/queries/audit_log.py (AUDIT_ACTIONS)")
    missing = {action: where for action, where in wanted.items() if action not in SENTENCES}
    assert not missing, (
        "These audit actions have no sentence in the audit log: add each to SENTENCES in "
        "oversight/audit_sentences.py (a sentence with %(actor)s and the placeholders of its object, see the "
        f"module's docstring), and its Urdu: {missing}"
    )
    unknown_prefixes = {prefix for prefix in prefixes if not any(action.startswith(prefix) for action in SENTENCES)}
    assert not unknown_prefixes, f"actions built as f-strings with no sentence for any of them: {unknown_prefixes}"


def test_every_sentence_is_for_an_action_the_audit_log_knows():
    assert set(SENTENCES) - KNOWN_ACTIONS == set()


OBJECT_TYPES = {
    "account": "user_account",
    "token": "api_token",
    "centre": "centre",
    "course": "course",
    "cohort": "cohort",
    "trainee": "trainee",
    "enrollment": "enrollment",
    "import": "import_batch",
    "export": "user_account",
    "certificate": "certificate",
    "merit_list": "cohort",  # a merit list's version is recorded on its cohort
    "outbox": "outbox_message",
    "outcome_answer": "outcome_answer",
    "exchange_rate": "exchange_rate",
}
OBJECT_TYPES_OF = {
    "export.roster": "cohort",
    "export.cohorts": "centre",
    "export.certificates": "cohort",
    "export.score_sheet": "cohort",
    "export.mark_sheet": "cohort",
}  # downloads about one object


@pytest.mark.parametrize("language", ["en", "ur"])
@pytest.mark.parametrize("action", sorted(SENTENCES))
def test_every_sentence_fills_in_from_its_event(app, action, language):
    event = AuditEvent(
        action=action,
        object_type=OBJECT_TYPES_OF.get(action, OBJECT_TYPES[action.split(".")[0]]),
        object_id=7,
        actor_id=None,
        before={"status": "open", "seats": 10},
        after={"status": "running", "seats": 12, "format": "csv", "rows": 3, "trainee_id": 5, "cohort": "C-1"},
    )
    with app.test_request_context("/"), force_locale(language):
        sentence = str(describe(event, EventNames()))
    assert "%(" not in sentence and sentence.strip()


@pytest.fixture
def approved(make_province, make_district, make_centre, make_cohort, make_trainee, make_user):
    punjab = make_province(code="PB", name="Punjab")
    centre = make_centre(make_district(punjab, code="LHR"), code="PB-LHR-01", name="Lahore Centre")
    cohort = make_cohort(centre, code="PB-LHR-01-C02", admission=Admission.REVIEWED)
    staff = make_user(Role.STAFF, centres=(centre,), full_name="Sana Iqbal", email="sana@markaz.test")
    trainee = make_trainee(full_name="Ayesha <b>Khan</b>")
    placement = services.register(trainee, cohort, actor=staff)
    services.approve(placement.enrollment, actor=staff)
    db.session.commit()
    return {"staff": staff, "trainee": trainee, "cohort": cohort, "admin": make_user(Role.ADMIN)}


def test_an_approval_reads_as_a_sentence_with_its_names_linked(client, approved):
    act_as(client, approved["admin"])
    page = text(client.get("/oversight/audit/?action=enrollment.approve"))
    trainee = approved["trainee"]
    sentence = re.search(r'<p class="mb-1 audit-sentence">(.*?)</p>', page, re.S).group(1)
    assert sentence == (
        '<a href="/oversight/audit/?actor=sana@markaz.test"><bdi>Sana Iqbal</bdi></a> approved '
        f'<a href="/enrollments/trainees/{trainee.id}"><bdi>Ayesha &lt;b&gt;Khan&lt;/b&gt;</bdi></a>&#39;s '
        "application to "
        '<a href="/oversight/cohorts/PB-LHR-01-C02"><bdi>PB-LHR-01-C02</bdi></a>.'
    )
    detail = page[page.index('<details class="small audit-detail">') :]
    assert "<code>enrollment.approve</code>" in detail and "<del>pending</del>" in detail  # the raw record, behind it


def test_the_sentence_is_in_urdu_on_urdu_pages(client, approved):
    act_as(client, approved["admin"])
    client.set_cookie("markaz_lang", "ur")
    page = text(client.get("/oversight/audit/?action=enrollment.approve"))
    with force_locale("ur"):
        template = str(SENTENCES["enrollment.approve"])
    assert re.search(r"[\u0600-\u06FF]", template), "no Urdu for the sentence"
    sentence = re.search(r'<p class="mb-1 audit-sentence">(.*?)</p>', page, re.S).group(1)
    words = [part for part in re.split(r"%\(\w+\)s", template) if part.strip()]
    assert all(word in sentence for word in words)


def test_a_page_of_events_looks_its_names_up_in_a_few_queries(approved):
    events = list(db.session.scalars(db.select(AuditEvent)))
    names = audit_event_names(events)
    assert names.accounts[approved["staff"].id].full_name == "Sana Iqbal"
    assert {code for _, _, code in names.enrollments.values()} == {"PB-LHR-01-C02"}
