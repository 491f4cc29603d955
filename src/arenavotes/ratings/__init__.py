"""Bradley-Terry ratings on the Elo scale: ties, intervals, ranks, style control, stability.

>>> import polars as pl
>>> from arenavotes.ratings import RatingParams, rate
>>> b = pl.DataFrame({"model_a": ["x", "y", "z", "y"] * 25, "model_b": ["y", "z", "x", "x"] * 25,
...                   "winner": ["model_a", "model_b", "tie", "model_a"] * 25})
>>> r = rate(b, RatingParams(ci="sandwich"))
>>> r.to_frame().select("model", "rank", "rank_ub").rows()
[('z', 1, 1), ('x', 2, 2), ('y', 3, 2)]
"""

from arenavotes.ratings.compat import fastchat_2024_ratings
from arenavotes.ratings.core import RatingParams, Ratings, rate
from arenavotes.ratings.counts import PairCounts
from arenavotes.ratings.graph import DisconnectedError, components
from arenavotes.ratings.stability import kendall_tau, leave_one_voter_out, online_elo
from arenavotes.ratings.style import StyleFit, fit_style
from arenavotes.vocab import CI_METHODS, COMPAT_MODES, TIE_POLICIES

__all__ = [
    "CI_METHODS",
    "COMPAT_MODES",
    "TIE_POLICIES",
    "DisconnectedError",
    "PairCounts",
    "RatingParams",
    "Ratings",
    "StyleFit",
    "components",
    "fastchat_2024_ratings",
    "fit_style",
    "kendall_tau",
    "leave_one_voter_out",
    "online_elo",
    "rate",
]
