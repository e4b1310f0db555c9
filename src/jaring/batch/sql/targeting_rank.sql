-- The eligible persons of a classified run in priority order. The order keys are chosen by
-- parameters (:key1 .. :key4, '' = unused) so the SQL stays the same for every sponsor:
-- each key is an integer, negated for "highest first", and the blind index breaks ties the
-- same way every run.
WITH keyed AS (
    SELECT
        *,
        CASE :key1 WHEN 'desil' THEN desil WHEN 'hazard' THEN -hazard WHEN 'female_head' THEN -female_head
            WHEN 'older' THEN -age WHEN 'younger' THEN age ELSE 0 END AS k1,
        CASE :key2 WHEN 'desil' THEN desil WHEN 'hazard' THEN -hazard WHEN 'female_head' THEN -female_head
            WHEN 'older' THEN -age WHEN 'younger' THEN age ELSE 0 END AS k2,
        CASE :key3 WHEN 'desil' THEN desil WHEN 'hazard' THEN -hazard WHEN 'female_head' THEN -female_head
            WHEN 'older' THEN -age WHEN 'younger' THEN age ELSE 0 END AS k3,
        CASE :key4 WHEN 'desil' THEN desil WHEN 'hazard' THEN -hazard WHEN 'female_head' THEN -female_head
            WHEN 'older' THEN -age WHEN 'younger' THEN age ELSE 0 END AS k4
    FROM classified
    WHERE excluded IS NULL
)
SELECT
    CAST(ROW_NUMBER() OVER (ORDER BY k1, k2, k3, k4, nik_index) AS BIGINT) AS rank,
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
ORDER BY rank
