"""Local development and ``make run``: SQLite unless DATABASE_URL is set.

DEBUG is on by default for ``manage.py runserver``; ``make run`` (the demo service people
click through) turns it off unless ``DEBUG`` is set, so a wrong address gets the site's own
page, not Django's technical one listing every route. Static files are served from the apps'
folders either way (no collectstatic needed).
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
