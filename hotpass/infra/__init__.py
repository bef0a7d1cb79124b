"""The operations wing: env files, credentials, Prefect contexts, setup, dependency sync,
SSH tunnels, doctor and the self-hosted stack.

Contract: each module is a library of procedures (``hotpass.procedure``) that the CLI and
the Invoke tasks call alike; nothing here imports click or invoke.
"""
