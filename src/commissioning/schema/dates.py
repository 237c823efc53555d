"""Date arithmetic shared by validation, risk scoring and the synthetic generator."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def whole_years(
    born: npt.NDArray[np.datetime64], on: npt.NDArray[np.datetime64]
) -> npt.NDArray[np.int64]:
    """Age in whole years on a date, by birthday arithmetic (vectorised).

    A birthday counts on the day itself; someone born on 29 February reaches a new age on
    1 March in a non-leap year (the month-day comparison treats 28 February as before it).
    NaT inputs give a meaningless value: callers mask them out.
    """
    born_d = born.astype("datetime64[D]")
    on_d = on.astype("datetime64[D]")
    by = born_d.astype("datetime64[Y]").astype(np.int64)
    oy = on_d.astype("datetime64[Y]").astype(np.int64)
    bm = born_d.astype("datetime64[M]")
    om = on_d.astype("datetime64[M]")
    bmd = (bm.astype(np.int64) % 12) * 100 + (born_d - bm.astype("datetime64[D]")).astype(np.int64)
    omd = (om.astype(np.int64) % 12) * 100 + (on_d - om.astype("datetime64[D]")).astype(np.int64)
    return np.asarray(oy - by - (omd < bmd).astype(np.int64), dtype=np.int64)
