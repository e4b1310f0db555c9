-- Every (target, person) pair of the snapshot where the person lives in the target's scope,
-- with the ranking values and the first exclusion reason that applies (NULL = eligible).
-- One pass serves any number of targets (a round of sponsors), so the snapshot is read once.
-- Reasons are checked in the order of jaring.targeting.rules.EXCLUSIONS; keep the two in step.
--
-- Inputs: persons (the snapshot); members (current membership: nik_index, member_id,
-- covered); hazard (occupation, grade); targets (one row per target: target_key and the
-- rule's values); scopes (target_key, code, level = the code's length); occupations
-- (target_key, occupation) for rules that name occupations. Parameters: :start_day (the first
-- day of the start month), :default_hazard, :nik_warnings.
WITH villages AS (
    SELECT DISTINCT village_code
    FROM persons
),
-- A scope code is a prefix of the village code; scopes hold no code inside another code of
-- the same target (check_scope), so each person meets each target at most once.
scope_villages AS (
    SELECT s.target_key, v.village_code
    FROM scopes AS s
    JOIN villages AS v ON s.level = 2 AND s.code = substr(v.village_code, 1, 2)
    UNION ALL
    SELECT s.target_key, v.village_code
    FROM scopes AS s
    JOIN villages AS v ON s.level = 4 AND s.code = substr(v.village_code, 1, 4)
    UNION ALL
    SELECT s.target_key, v.village_code
    FROM scopes AS s
    JOIN villages AS v ON s.level = 6 AND s.code = substr(v.village_code, 1, 6)
    UNION ALL
    SELECT s.target_key, v.village_code
    FROM scopes AS s
    JOIN villages AS v ON s.level = 10 AND s.code = v.village_code
),
-- A family is female-headed when its head (relationship 1) is a woman, wherever the family's
-- members live: a fact of the family, not of a sponsor's scope.
-- Each village with the rule of every target whose scope holds it: a small table, so the
-- persons meet their targets' rules in one join.
village_rules AS (
    SELECT sv.village_code, t.*
    FROM scope_villages AS sv
    JOIN targets AS t ON t.target_key = sv.target_key
),
female_heads AS (
    SELECT DISTINCT kk_index
    FROM persons
    WHERE relationship = 1 AND sex = 'F'
),
in_scope AS (
    SELECT
        t.target_key,
        t.age_min,
        t.age_max,
        t.informal_only,
        t.working_only,
        t.desil_max,
        t.any_occupation,
        t.sex AS rule_sex,
        p.nik_index,
        p.kk_index,
        p.sex,
        p.village_code,
        p.employment_status,
        p.occupation,
        p.desil,
        p.deceased,
        p.warning_flags,
        -- Completed years (docs/batch.md): date_diff('year', ...) counts year boundaries.
        CAST(
            YEAR(:start_day) - YEAR(p.birth_date)
            - CASE
                WHEN MONTH(p.birth_date) * 100 + DAY(p.birth_date) > MONTH(:start_day) * 100 + DAY(:start_day)
                    THEN 1
                ELSE 0
            END
            AS INTEGER
        ) AS age
    FROM persons AS p
    JOIN village_rules AS t ON t.village_code = p.village_code
),
-- The rule's reasons first; only the persons they leave are looked up in the membership
-- and the family heads and graded for hazard (a NULL key never joins, so the other lookups
-- cost nothing).
ruled AS (
    SELECT
        p.*,
        CASE
            WHEN p.deceased THEN 'deceased'
            WHEN (p.warning_flags & :nik_warnings) <> 0 THEN 'nik_unverified'
            WHEN p.age < p.age_min OR p.age > p.age_max THEN 'age_outside_limits'
            WHEN p.informal_only AND p.employment_status IN (3, 4, 5) THEN 'formal_worker'
            WHEN p.working_only AND p.employment_status = 0 THEN 'not_working'
            WHEN p.desil > p.desil_max THEN 'desil_above_cutoff'
            WHEN NOT p.any_occupation AND o.occupation IS NULL THEN 'occupation_not_targeted'
            WHEN p.rule_sex <> '' AND p.sex <> p.rule_sex THEN 'sex_not_targeted'
        END AS ruled_out
    FROM in_scope AS p
    LEFT JOIN occupations AS o ON o.target_key = p.target_key AND o.occupation = p.occupation
)
SELECT
    p.target_key,
    p.nik_index,
    p.sex,
    p.age,
    p.village_code,
    substr(p.village_code, 1, 4) AS regency_code,
    substr(p.village_code, 1, 2) AS province_code,
    p.desil,
    p.occupation,
    CAST(COALESCE(h.grade, :default_hazard) AS INTEGER) AS hazard,
    CAST(CASE WHEN f.kk_index IS NULL THEN 0 ELSE 1 END AS INTEGER) AS female_head,
    m.member_id,
    CASE
        WHEN p.ruled_out IS NOT NULL THEN p.ruled_out
        WHEN m.covered THEN 'already_covered'
    END AS excluded
FROM ruled AS p
LEFT JOIN hazard AS h ON h.occupation = CASE WHEN p.ruled_out IS NULL THEN p.occupation END
LEFT JOIN female_heads AS f ON f.kk_index = CASE WHEN p.ruled_out IS NULL THEN p.kk_index END
LEFT JOIN members AS m ON m.nik_index = CASE WHEN p.ruled_out IS NULL THEN p.nik_index END
