-- What it answers: how often the model shown first (A) wins among decisive votes, per source.
SELECT source, count(*) AS decisive, round(avg((winner = 'model_a')::INT), 4) AS share_a
FROM battles WHERE winner IN ('model_a', 'model_b') GROUP BY source ORDER BY source;
