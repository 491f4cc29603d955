-- What it answers: how many votes arrived per day, per source (timestamped sources only).
SELECT source, day, battles, voters FROM votes_by_day ORDER BY source, day;
