"""Load and soak testing with conformance checked under load (docs/load.md).

``wsspec load URL --stages 50:30s,200:30s`` holds stages of concurrent
connections against a server, each sending identified messages whose echoes
must come back on their own connection, in order and unmodified; every frame
goes through the strict sans-IO parser, close handshakes must complete and
heartbeat pings arrive on time. One module per concern: :mod:`.scenario`
(stages, message pattern), :mod:`.integrity` (message identity),
:mod:`.session` (one connection, sans-IO), :mod:`.engine` (asyncio),
:mod:`.locustfile` (Locust over gevent), :mod:`.stats` and :mod:`.histogram`
(measures), :mod:`.monitor` (the server's RSS and CPU), :mod:`.memory`,
:mod:`.slo`, :mod:`.ci`, :mod:`.report` and :mod:`.cli`.
"""
