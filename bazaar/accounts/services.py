"""Finding and creating accounts."""
from sqlalchemy import select

from bazaar.accounts.auth import hash_password
from bazaar.accounts.models import User
from bazaar.extensions import db


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(email: str, name: str, password: str | None, **fields) -> User:
    user = User(email=normalise_email(email), name=name.strip(),
                password_hash=hash_password(password) if password else None, **fields)
    db.session.add(user)
    return user
