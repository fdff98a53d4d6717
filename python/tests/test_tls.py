"""ssl_context / ssl_options against a TLS-only postfork-node (a self-signed certificate)."""
import os
import ssl
import subprocess
import tempfile

import pytest

from postfork.cluster import Cluster, NoHostAvailable
from nodeproc import Node


@pytest.fixture(scope="module")
def tls_node():
    d = tempfile.mkdtemp(prefix="postfork-py-tls-")
    cert, key = os.path.join(d, "node.pem"), os.path.join(d, "node.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-subj", "/CN=127.0.0.1", "-days", "1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    n = Node("--tls-cert", cert, "--tls-key", key).start()
    n.cert = cert
    yield n
    n.stop()


def test_ssl_context_verifying_the_node(tls_node):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(tls_node.cert)
    c = Cluster(["127.0.0.1"], port=tls_node.port, ssl_context=ctx)
    s = c.connect()
    assert s.execute("SELECT key FROM system.local").one().key == "local"
    c.shutdown()


def test_ssl_context_without_the_ca_is_refused(tls_node):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # the system's CAs, not the node's
    ctx.load_default_certs()
    c = Cluster(["127.0.0.1"], port=tls_node.port, ssl_context=ctx, connect_timeout=3)
    with pytest.raises(NoHostAvailable):
        c.connect()


def test_ssl_options_and_plaintext_refused(tls_node):
    c = Cluster(["127.0.0.1"], port=tls_node.port,
                ssl_options={"ca_certs": tls_node.cert, "cert_reqs": ssl.CERT_REQUIRED})
    assert c.connect().execute("SELECT key FROM system.local").one().key == "local"
    c.shutdown()
    with pytest.raises(NoHostAvailable):
        Cluster(["127.0.0.1"], port=tls_node.port, connect_timeout=3).connect()
