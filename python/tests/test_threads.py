"""execute from several Python threads at once on one session."""
import threading


def test_execute_from_many_threads(session):
    session.execute("CREATE TABLE IF NOT EXISTS threaded (t int, i int, PRIMARY KEY (t, i))")
    ins = session.prepare("INSERT INTO threaded (t, i) VALUES (?, ?)")
    errors = []

    def worker(t):
        try:
            for i in range(100):
                session.execute(ins, (t, i))
                if i % 10 == 0:
                    n = session.execute("SELECT count(*) FROM threaded WHERE t = %s", (t,)).one()[0]
                    assert n == i + 1, (t, i, n)
        except Exception as e:  # collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors[:3]
    for t in range(8):
        assert session.execute("SELECT count(*) FROM threaded WHERE t = %s", (t,)).one()[0] == 100
