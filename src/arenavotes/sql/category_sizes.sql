-- What it answers: how many battles each category holds, per labeler (source tags and arenavotes').
SELECT labeler, category, battles, labelled, round(battles / labelled, 3) AS share
FROM categories WHERE NOT category LIKE 'criteria.%' ORDER BY labeler, battles DESC;
