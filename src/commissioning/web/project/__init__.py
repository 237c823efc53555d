"""Django project settings, URLs and WSGI entry point for the web workspace."""
