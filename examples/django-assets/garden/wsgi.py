"""WSGI entry point: gunicorn serves `garden.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "garden.settings")

application = get_wsgi_application()
