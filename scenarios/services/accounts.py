"""User accounts: creation through Django's auth (hashing, normalisation), never by hand."""

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from scenarios.errors import InvalidInput


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    validate: bool = True,
    is_staff: bool = False,
    is_superuser: bool = False,
    encoded_password: str | None = None,
) -> User:
    """Create a user; the password is checked against the configured validators.

    ``validate=False`` is only for demo data, whose passwords are published on purpose;
    demo data also passes ``encoded_password`` (one ``make_password`` result) so that a
    hundred demo users do not each pay for a slow hash.
    """
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("用户名已被占用。"), fields={"username": [_("用户名已被占用。")]})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if validate:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput(_("密码不符合要求。"), fields={"password": exc.messages}) from exc
    if encoded_password is not None:
        user.password = encoded_password
    else:
        user.set_password(password)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise InvalidInput(
            _("数据校验失败。"),
            fields={k: [str(m) for m in v] for k, v in exc.message_dict.items()},
        ) from exc
    user.save()
    return user
