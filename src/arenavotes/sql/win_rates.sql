-- What it answers: each model's observed win rate (ties as half), battles and distinct opponents.
SELECT model, sum(battles) AS battles, count(DISTINCT opponent) AS opponents,
       round(sum(wins + 0.5 * ties) / sum(battles), 4) AS win_rate
FROM model_pairs GROUP BY model ORDER BY win_rate DESC;
