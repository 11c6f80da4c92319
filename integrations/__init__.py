"""Native memspan integrations: ``memspan.integrations.<framework>``, each behind its extra.

Importing this package imports no framework; each submodule imports its framework when used.
"""
