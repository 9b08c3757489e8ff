"""Scale-out on Dask (L9), an extra: ``pip install 'pmpath[dask]'`` (``pmpath[parquet]``
for Parquet output). Nothing else in pmpath imports dask. docs/scale.md has it all.

- `plan`: inputs (paths or fsspec URLs), blocks (byte ranges on line boundaries),
  part names, the manifest;
- `plugin`: `EnginePlugin`, the engine built once per worker from shipped bytes;
- `parts`: what a worker does with a block (count its lines, score it to a part);
- `parquet`: the typed Parquet part;
- `run`: `DaskRun` and `score_files` (the client side of ``pmpath batch --engine
  dask``), `score_bag`, `register`.
"""

from __future__ import annotations

from pmpath.dask.run import FORMATS, DaskRun, register, score_bag, score_files

__all__ = ["FORMATS", "DaskRun", "register", "score_bag", "score_files"]
