"""WebSocket clients for the client catalogue: a reference client and faulty clients.

``python -m wsspec.targets.clients.reference {url}`` is the strict, compliant
client the whole client catalogue passes against;
``python -m wsspec.targets.clients.faulty --fault NAME {url}`` breaks one rule
on purpose, so the project's own tests prove each client case catches what it
claims to (the kill matrix, ``tests/clients``).
"""
