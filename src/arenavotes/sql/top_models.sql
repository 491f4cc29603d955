-- What it answers: the overall leaderboard of each scope, LMArena-style rank first.
SELECT scope, rank_ub AS rank, model, round(rating, 1) AS rating, round(ci_lower, 1) AS ci_lower,
       round(ci_upper, 1) AS ci_upper, battles, provisional
FROM leaderboard WHERE category = 'overall' ORDER BY scope, rank_ub, rating DESC;
