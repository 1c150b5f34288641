"""Forms of the certificate pages: they check the shape of what was typed; whether a reason or a name is
acceptable is for ``certificates.services`` to say (its refusal is shown next to the field)."""

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from auth.admin_forms import strip_text
from certificates.numbers import LONGEST_TYPED
from certificates.services import MAX_REASON_LENGTH
from forms import Form


class RevokeForm(Form):
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[Length(max=MAX_REASON_LENGTH)],
        render_kw={"rows": 3},
    )


class ReissueForm(Form):
    """A reissue under a new number: the name to print (her record's, unless corrected here) and why."""

    full_name = StringField(_l("Name to print"), filters=[strip_text], validators=[Length(max=200)])
    reason = TextAreaField(
        _l("Reason"),
        filters=[strip_text],
        validators=[Length(max=MAX_REASON_LENGTH)],
        render_kw={"rows": 3},
    )


class VerifyForm(Form):
    """The number typed on the verification page: a GET form (it changes nothing), so no CSRF token."""

    class Meta:
        csrf = False

    number = StringField(_l("Certificate number"), filters=[strip_text], validators=[Length(max=LONGEST_TYPED)])
