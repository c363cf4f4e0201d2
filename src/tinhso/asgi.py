"""ASGI entry point, served by ``tinhso serve`` through uvicorn."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
application = get_asgi_application()
