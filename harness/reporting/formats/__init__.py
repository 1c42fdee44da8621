"""The report formats: one module each, registered with :func:`wsspec.reporting.outputs.output`.

Every module of this package is imported by :func:`wsspec.reporting.outputs.registered`, so
a new format is one new file here.
"""
