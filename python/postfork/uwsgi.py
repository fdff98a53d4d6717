"""uWSGI: the master takes the warm-up snapshot when the app is loaded (before fork, as uWSGI
loads apps in the master unless --lazy-apps), and each worker opens its session in a
uwsgidecorators.postfork hook::

    import postfork.uwsgi
    postfork.uwsgi.setup(Cluster(["127.0.0.1"]), keyspace="seed")
    ... postfork.session().execute("SELECT col FROM t")   # in a request
"""
import postfork


def setup(cluster=None, keyspace=None, prepare=(), row_factory=None, log=False,
          **cluster_kwargs):
    """warm_up() now and connect_after_fork() in every worker after fork. With ``log``, each
    worker prints when its session is ready, how long it took and its system queries."""
    try:
        from uwsgidecorators import postfork as on_postfork
    except ImportError as e:
        raise ImportError("postfork.uwsgi needs uwsgidecorators, i.e. to run inside uWSGI "
                          "(Debian: python3-uwsgidecorators)") from e
    info = postfork.warm_up(cluster, keyspace=keyspace, prepare=prepare, **cluster_kwargs)

    @on_postfork
    def _open_session():
        s = postfork.connect_after_fork(row_factory=row_factory)
        if log:
            postfork.log_ready(s)

    return info
