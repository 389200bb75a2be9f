"""The stores: the SQL of one aggregate each, set-based, with `:named` parameters.

Functions take the connection (inside the caller's transaction) as their first argument.
"""
