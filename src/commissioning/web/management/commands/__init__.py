"""``python manage.py add_person``."""
