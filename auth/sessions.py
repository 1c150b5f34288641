"""How a signed-cookie session becomes a user: Flask-Login loads the account by id on each request.

Deactivated accounts are refused by ``UserAccount.is_active``.
"""

from auth.models import UserAccount
from extensions import db, login_manager


@login_manager.user_loader
def load_user(user_id: str) -> UserAccount | None:
    try:
        return db.session.get(UserAccount, int(user_id))
    except ValueError:  # a session from another app or a tampered-with cookie: treat as anonymous
        return None
