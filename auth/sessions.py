"""How a signed-cookie session becomes a user: Flask-Login loads the account on each request.

The session holds ``"<id>:<session version>"`` (``UserAccount.get_id``); a session whose version no
longer matches (the password changed since) or whose account is deactivated is treated as signed out.
"""

from auth.models import UserAccount
from extensions import db, login_manager


@login_manager.user_loader
def load_user(session_id: str) -> UserAccount | None:
    user_id, _, version = session_id.partition(":")
    try:
        user = db.session.get(UserAccount, int(user_id))
    except ValueError:  # not one of our session ids: treat as anonymous
        return None
    if user is None or not user.active or version != user.session_version:
        return None
    return user
