"""gunicorn settings, overridable by environment variables."""
import os

bind = os.environ.get("SERVICE_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("SERVICE_WORKERS", "2"))
accesslog = "-"
worker_tmp_dir = "/dev/shm"
