-- What it answers: how many battles each detector flagged, and whether the release left them out.
SELECT flag, detector, excluded, count(DISTINCT battle_id) AS battles FROM flags GROUP BY ALL ORDER BY battles DESC;
