"""Load balancing policies: the driver routes by datacenter (local DC first, round robin) and by
token (prepared statements with a routing key go to a replica). These classes carry those
choices from DataStax-style configuration; retry and reconnection policies are accepted and the
driver's own (documented in options.h) apply."""


class LoadBalancingPolicy:
    token_aware = False
    local_dc = None


class DCAwareRoundRobinPolicy(LoadBalancingPolicy):
    def __init__(self, local_dc="", used_hosts_per_remote_dc=0):
        self.local_dc = local_dc or None
        self.used_hosts_per_remote_dc = used_hosts_per_remote_dc


class RoundRobinPolicy(LoadBalancingPolicy):
    pass


class TokenAwarePolicy(LoadBalancingPolicy):
    token_aware = True

    def __init__(self, child_policy, shuffle_replicas=False):
        self._child_policy = child_policy
        self.local_dc = getattr(child_policy, "local_dc", None)


class RetryPolicy:
    pass


class FallthroughRetryPolicy(RetryPolicy):
    pass


class ExponentialReconnectionPolicy:
    def __init__(self, base_delay, max_delay, max_attempts=64):
        self.base_delay, self.max_delay = base_delay, max_delay
