"""Gunicorn server hooks: in gunicorn.conf.py ::

    from postfork.gunicorn import warm_up_on_starting, connect_post_fork
    on_starting = warm_up_on_starting(contact_points=["127.0.0.1"], keyspace="seed")
    post_fork = connect_post_fork()

on_starting runs in the master before any worker is forked, post_fork in each new worker
(also those a SIGHUP reload starts); request handlers use postfork.session().
"""
import postfork


def warm_up_on_starting(cluster=None, keyspace=None, prepare=(), **cluster_kwargs):
    def on_starting(server):
        postfork.warm_up(cluster, keyspace=keyspace, prepare=prepare, **cluster_kwargs)
    return on_starting


def connect_post_fork(row_factory=None, log=False):
    def post_fork(server, worker):
        s = postfork.connect_after_fork(row_factory=row_factory)
        if log:
            postfork.log_ready(s)
    return post_fork
