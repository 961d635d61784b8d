"""Skyway's shared infrastructure kit: configuration, routing of databases, health, request ids, logging.

Only plumbing lives here. No bounded context's domain code does: contexts meet through HTTP and ids.
"""
