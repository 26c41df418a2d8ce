import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

# Everything loaded so far (Django, Wagtail, the URL and template machinery) lives as long as the
# process: moved out of the garbage collector's sight, a full collection no longer walks it, which
# was a pause of tens of milliseconds every few requests that build many objects (feeds, listings).
gc.freeze()
