"""Skyway's release path: Ansible playbooks (deploy, canary, blue-green, rollback) run by ansible-runner.

`python -m deploy …` is the entry point; deploy.localproc, deploy.routes and deploy.analysis are the
small helpers the playbooks call on one machine (inventory `local`).
"""
