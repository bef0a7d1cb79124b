"""Hotpass operations as Invoke tasks: the root collection, one namespace per ops/ module.

`invoke --list` shows them all. Task modules live in ops/ and call the hotpass library
through ops/adapter.py. `refine`, `test` and `lint` are root tasks, as the Makefile and
the runbooks call them. Importing this file must stay cheap (no pandas, no
Prefect).
"""

from invoke import Collection

from ops import bench, data, deps, dev, env, evidence, incident, refine, stack, workers

ns = Collection(deps, data, bench, workers, env, stack, evidence, incident, refine.refine,
                dev.test, dev.lint)
