"""Forecasting daily orders and revenue from their history, with the error measured on past data.

Method: additive Holt-Winters with a weekly season (Hyndman & Athanasopoulos, *Forecasting:
Principles and Practice*, 3rd ed., §8.3), its three smoothing constants chosen from a small grid
by one-step-ahead squared error on the history. The error shown is a backtest: the model is fitted
without the last HOLDOUT days, forecasts them, and MAPE is taken over the days that had a non-zero
value. The seasonal-naive forecast (each weekday repeats last week's) is measured the same way
and used instead when it did better, so the page never shows a model worse than the baseline.
Pure functions over lists of floats; no clock, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

SEASON = 7
HOLDOUT = 14
ALPHAS = (0.05, 0.1, 0.2, 0.3, 0.5)
BETAS = (0.0, 0.02, 0.05, 0.1)
GAMMAS = (0.05, 0.1, 0.2, 0.3)


@dataclass(frozen=True, slots=True)
class Forecast:
    method: str  # holt_winters | seasonal_naive | mean
    values: list[float]  # the next `horizon` days
    params: dict[str, float]
    backtest_mape: float | None  # the chosen method's, as a fraction (0.12 = 12 %)
    naive_mape: float | None  # the seasonal-naive baseline's


def holt_winters(y: Sequence[float], horizon: int, alpha: float, beta: float, gamma: float, season: int = SEASON) -> tuple[list[float], float]:
    """Additive Holt-Winters: (forecast for `horizon` steps, one-step squared error over the fit)."""
    first = y[:season]
    second = y[season : 2 * season]
    level = sum(first) / season
    trend = (sum(second) - sum(first)) / season**2
    seasonal = [v - level for v in first]
    sse = 0.0
    for t in range(season, len(y)):
        s = seasonal[t % season]
        predicted = level + trend + s
        sse += (y[t] - predicted) ** 2
        previous = level
        level = alpha * (y[t] - s) + (1 - alpha) * (level + trend)
        trend = beta * (level - previous) + (1 - beta) * trend
        seasonal[t % season] = gamma * (y[t] - level) + (1 - gamma) * s
    n = len(y)
    return [max(0.0, level + (h + 1) * trend + seasonal[(n + h) % season]) for h in range(horizon)], sse


def best_holt_winters(y: Sequence[float], horizon: int) -> tuple[list[float], dict[str, float]]:
    """Holt-Winters with the grid's constants that best predicted each next day of `y`."""
    best = None
    for alpha, beta, gamma in product(ALPHAS, BETAS, GAMMAS):
        values, sse = holt_winters(y, horizon, alpha, beta, gamma)
        if best is None or sse < best[0]:
            best = (sse, values, {"alpha": alpha, "beta": beta, "gamma": gamma})
    assert best is not None
    return best[1], best[2]


def seasonal_naive(y: Sequence[float], horizon: int, season: int = SEASON) -> list[float]:
    last = list(y[-season:])
    return [last[h % season] for h in range(horizon)]


def mape(actual: Sequence[float], predicted: Sequence[float]) -> float | None:
    """Mean absolute percentage error over the days with a non-zero actual (None if there are none)."""
    pairs = [(a, p) for a, p in zip(actual, predicted, strict=True) if a]
    return sum(abs(a - p) / abs(a) for a, p in pairs) / len(pairs) if pairs else None


def forecast(y: Sequence[float], horizon: int) -> Forecast:
    """The next `horizon` days of a daily series, by the method that did best on its last HOLDOUT days."""
    y = [float(v) for v in y]
    if len(y) < 3 * SEASON:
        mean = sum(y) / len(y) if y else 0.0
        return Forecast("mean", [mean] * horizon, {}, None, None)
    train, test = y[:-HOLDOUT], y[-HOLDOUT:]
    naive_error = mape(test, seasonal_naive(train, HOLDOUT))
    if len(train) < 2 * SEASON:
        return Forecast("seasonal_naive", seasonal_naive(y, horizon), {}, naive_error, naive_error)
    backtest, _ = best_holt_winters(train, HOLDOUT)
    hw_error = mape(test, backtest)
    if hw_error is not None and (naive_error is None or hw_error <= naive_error):
        values, params = best_holt_winters(y, horizon)
        return Forecast("holt_winters", values, params, hw_error, naive_error)
    return Forecast("seasonal_naive", seasonal_naive(y, horizon), {}, naive_error, naive_error)
