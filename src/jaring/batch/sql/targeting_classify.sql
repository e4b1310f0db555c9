-- Every person of the snapshot living in the sponsor's scope, with the ranking keys and the
-- first exclusion reason that applies (NULL = eligible). Reasons are checked in the order
-- of jaring.targeting.rules.EXCLUSIONS; keep the two in step.
--
-- Inputs: persons (the snapshot), members (current membership: nik_index, member_id,
-- covered), hazard (occupation, grade). Parameters: the scope's codes by length :p2 :p4 :p6
-- :p10 (an empty list matches nothing), :start_day (the first day of the start month), and
-- the rule's values.
WITH in_scope AS (
    SELECT
        nik_index,
        kk_index,
        sex,
        birth_date,
        village_code,
        regency_code,
        province_code,
        relationship,
        employment_status,
        occupation,
        desil,
        deceased,
        warning_flags,
        -- Completed years (docs/batch.md): date_diff('year', ...) counts year boundaries.
        CAST(
            YEAR(:start_day) - YEAR(birth_date)
            - CASE
                WHEN MONTH(birth_date) * 100 + DAY(birth_date) > MONTH(:start_day) * 100 + DAY(:start_day) THEN 1
                ELSE 0
            END
            AS INTEGER
        ) AS age
    FROM persons
    WHERE province_code IN (:p2)
        OR regency_code IN (:p4)
        OR district_code IN (:p6)
        OR village_code IN (:p10)
),
female_heads AS (
    SELECT DISTINCT kk_index
    FROM in_scope
    WHERE relationship = 1 AND sex = 'F'
)
SELECT
    p.nik_index,
    p.sex,
    p.age,
    p.village_code,
    p.regency_code,
    p.province_code,
    p.desil,
    p.occupation,
    CAST(COALESCE(h.grade, :default_hazard) AS INTEGER) AS hazard,
    CAST(CASE WHEN f.kk_index IS NULL THEN 0 ELSE 1 END AS INTEGER) AS female_head,
    m.member_id,
    CASE
        WHEN p.deceased THEN 'deceased'
        WHEN (p.warning_flags & :nik_warnings) <> 0 THEN 'nik_unverified'
        WHEN p.age < :age_min OR p.age > :age_max THEN 'age_outside_limits'
        WHEN :informal_only AND p.employment_status IN (3, 4, 5) THEN 'formal_worker'
        WHEN :working_only AND p.employment_status = 0 THEN 'not_working'
        WHEN p.desil > :desil_max THEN 'desil_above_cutoff'
        WHEN NOT :any_occupation AND p.occupation NOT IN (:occupations) THEN 'occupation_not_targeted'
        WHEN :sex <> '' AND p.sex <> :sex THEN 'sex_not_targeted'
        WHEN m.covered THEN 'already_covered'
    END AS excluded
FROM in_scope AS p
LEFT JOIN hazard AS h ON h.occupation = p.occupation
LEFT JOIN female_heads AS f ON f.kk_index = p.kk_index
LEFT JOIN members AS m ON m.nik_index = p.nik_index
