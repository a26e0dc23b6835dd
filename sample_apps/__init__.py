"""Small WSGI and ASGI apps that show every part of both protocols."""
