-- What it answers: the head-to-head record of the most frequent pairs (wins, ties, losses).
SELECT model, opponent, battles, wins, ties, battles - wins - ties AS losses, score
FROM model_pairs WHERE model < opponent ORDER BY battles DESC LIMIT 30;
