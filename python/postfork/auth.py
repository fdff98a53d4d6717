"""Authentication: SASL PLAIN for Cassandra's PasswordAuthenticator."""


class AuthProvider:
    pass


class PlainTextAuthProvider(AuthProvider):
    def __init__(self, username=None, password=None):
        self.username = username
        self.password = password
