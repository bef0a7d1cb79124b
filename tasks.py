"""Hotpass operations as Invoke tasks: one namespace per procedure area.

`invoke --list` shows them all. Task modules live in ops/; the logic they call lives in
the hotpass package. Importing this file must stay cheap (no pandas, no Prefect).
"""

from invoke import Collection

from ops import bench, data, deps, dev, env, refine, workers

ns = Collection()
ns.add_task(refine.refine)
ns.add_task(dev.test)
ns.add_task(dev.lint)
ns.add_collection(deps.ns)
ns.add_collection(data.ns)
ns.add_collection(bench.ns)
ns.add_collection(workers.ns)
ns.add_collection(env.ns)
