"""Gunicorn settings for app.py with SEED_DRIVER=postfork-snapshot: the master takes the warm-up
snapshot before forking, each worker opens its session from it.
  gunicorn -c bench/seed/original/gunicorn.conf.py --chdir bench/seed/original app:application
"""
import os

from postfork.cluster import Cluster
from postfork.gunicorn import connect_post_fork, warm_up_on_starting

if os.environ.get("SEED_DRIVER") == "postfork-snapshot":
    on_starting = warm_up_on_starting(
        Cluster(os.environ.get("SEED_CONTACT_POINTS", "127.0.0.1").split(","),
                port=int(os.environ.get("SEED_CQL_PORT", "9042"))),
        keyspace=os.environ.get("SEED_KEYSPACE", "seed"))
    post_fork = connect_post_fork(log=True)
