"""Reports: what a run writes, and the wording every rendering of it shares.

``report.json`` is the source document; each file derived from it (``index.html``,
``index.json``, ``pcap/``, the GitHub step summary) is a module of
:mod:`wsspec.reporting.formats` that registers itself in :mod:`wsspec.reporting.outputs`.
:mod:`wsspec.reporting.wirelog_keep` decides how much of each case's wire log the report
keeps; :mod:`wsspec.reporting.compare` and :mod:`wsspec.reporting.baseline` read reports
back.
"""
