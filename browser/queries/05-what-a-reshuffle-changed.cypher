// What a reshuffle changed: assignments below $unit that started or ended from $from up to
// (not including) $to
// :param unit => '83'
// :param from => date('2024-01-01')
// :param to => date('2025-01-01')
MATCH (:Unit {code: $unit})<-[:PART_OF*0..]-(u)
MATCH (u)<-[s:SUPPORTS]-(c)
WHERE $from <= s.since < $to OR (s.until IS NOT NULL AND $from <= s.until < $to)
UNWIND [x IN [CASE WHEN $from <= s.since < $to THEN 'started' END,
              CASE WHEN s.until IS NOT NULL AND $from <= s.until < $to THEN 'ended' END]
        WHERE x IS NOT NULL] AS change
RETURN change, CASE change WHEN 'started' THEN s.since ELSE s.until END AS day,
       u.code AS unit, u.name AS unit_name, c.id AS cadre, c.name AS cadre_name,
       s.role AS role, s.decision AS decision
ORDER BY day, unit, cadre
