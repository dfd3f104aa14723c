"""Places: where a photo was taken, as precisely as the bot may know it (about 1 km)."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Two decimals are about 1 km: close enough for Plant.id, too coarse to find someone's home.
DECIMALS = 2


@dataclass(frozen=True)
class Coordinates:
    """A latitude and longitude, rounded to `DECIMALS`."""

    latitude: float
    longitude: float


def rounded(latitude: float, longitude: float) -> Coordinates | None:
    """Round a point to about 1 km; None if it is not a point on Earth."""
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return Coordinates(round(latitude, DECIMALS), round(longitude, DECIMALS))
