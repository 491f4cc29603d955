-- Views over an attached release (arenavotes sql --release VERSION). {root} is the release folder.
CREATE OR REPLACE VIEW battles AS SELECT * FROM read_parquet('{root}/data/battles/*.parquet');
CREATE OR REPLACE VIEW conversations AS SELECT * FROM read_parquet('{root}/data/conversations/*.parquet');
CREATE OR REPLACE VIEW leaderboard AS SELECT * FROM read_parquet('{root}/data/leaderboard/*.parquet');
CREATE OR REPLACE VIEW flags AS SELECT * FROM read_parquet('{root}/data/flags/*.parquet');
CREATE OR REPLACE VIEW prompt_labels AS SELECT * FROM read_parquet('{root}/data/prompt_labels/*.parquet');
-- model_pairs: the win matrix, one row per ordered pair (winner's view), ties counted separately
CREATE OR REPLACE VIEW model_pairs AS
    SELECT source, model, opponent, count(*) AS battles,
           count(*) FILTER (WHERE won) AS wins, count(*) FILTER (WHERE tied) AS ties,
           round(avg(CASE WHEN won THEN 1.0 WHEN tied THEN 0.5 ELSE 0.0 END), 4) AS score
    FROM (SELECT source, model_a AS model, model_b AS opponent, winner = 'model_a' AS won,
                 winner IN ('tie', 'tie_bothbad') AS tied FROM battles
          UNION ALL
          SELECT source, model_b, model_a, winner = 'model_b', winner IN ('tie', 'tie_bothbad') FROM battles)
    GROUP BY ALL;
-- votes_by_day: battles per UTC day and source (sources without timestamps are left out)
CREATE OR REPLACE VIEW votes_by_day AS
    SELECT source, CAST(tstamp AS DATE) AS day, count(*) AS battles,
           count(DISTINCT voter_id) AS voters
    FROM battles WHERE tstamp IS NOT NULL GROUP BY ALL;
-- categories: for each labeler and category, how many battles are in it
CREATE OR REPLACE VIEW categories AS
    SELECT labeler, category, count(*) FILTER (WHERE value) AS battles, count(*) AS labelled
    FROM prompt_labels GROUP BY ALL;
