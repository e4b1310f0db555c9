-- The eligible persons of a classified round in priority order, target by target: a person's
-- rank is their place in their target's rows (numbered as the rows are written). A target's
-- order keys are named in its row of `targets` (key1 .. key4, '' = unused), so the SQL stays
-- the same for every sponsor: each key is an integer, negated for "highest first", and the
-- blind index breaks ties the same way every run.
WITH keyed AS (
    SELECT
        c.*,
        CASE t.key1 WHEN 'desil' THEN c.desil WHEN 'hazard' THEN -c.hazard WHEN 'female_head' THEN -c.female_head
            WHEN 'older' THEN -c.age WHEN 'younger' THEN c.age ELSE 0 END AS k1,
        CASE t.key2 WHEN 'desil' THEN c.desil WHEN 'hazard' THEN -c.hazard WHEN 'female_head' THEN -c.female_head
            WHEN 'older' THEN -c.age WHEN 'younger' THEN c.age ELSE 0 END AS k2,
        CASE t.key3 WHEN 'desil' THEN c.desil WHEN 'hazard' THEN -c.hazard WHEN 'female_head' THEN -c.female_head
            WHEN 'older' THEN -c.age WHEN 'younger' THEN c.age ELSE 0 END AS k3,
        CASE t.key4 WHEN 'desil' THEN c.desil WHEN 'hazard' THEN -c.hazard WHEN 'female_head' THEN -c.female_head
            WHEN 'older' THEN -c.age WHEN 'younger' THEN c.age ELSE 0 END AS k4
    FROM classified AS c
    JOIN targets AS t ON t.target_key = c.target_key
    WHERE c.excluded IS NULL
)
SELECT
    target_key,
    nik_index,
    member_id,
    sex,
    age,
    village_code,
    regency_code,
    province_code,
    CAST(desil AS INTEGER) AS desil,
    occupation,
    hazard,
    female_head,
    CAST(k1 AS INTEGER) AS k1,
    CAST(k2 AS INTEGER) AS k2,
    CAST(k3 AS INTEGER) AS k3,
    CAST(k4 AS INTEGER) AS k4
FROM keyed
ORDER BY target_key, k1, k2, k3, k4, nik_index
