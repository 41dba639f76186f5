"""Every write of the desk: keyword-only functions, one transaction each, audit trail recorded.

Admin ``save_model`` and actions, management commands, the importer and tests all call these
functions, so a rule lives in exactly one place.
"""
