// Overloaded cadres: active cadres working below $unit who carry more units under a rule on
// $on than the policy allows
// :param unit => '83'
// :param on => date('2023-05-01')
MATCH (:Unit {code: $unit})<-[:PART_OF*0..]-(home)
MATCH (home)<-[:WORKS_IN]-(c)
WHERE [i IN range(0, size(c.history_status) - 1)
       WHERE c.history_since[i] <= $on | c.history_status[i]][-1] = 'active'
MATCH (c)-[s:SUPPORTS]->(u)
WHERE s.since <= $on AND (s.until IS NULL OR $on < s.until)
  AND (u.valid_from IS NULL OR u.valid_from <= $on) AND (u.valid_to IS NULL OR $on < u.valid_to)
MATCH (r:PolicyRule)
WHERE r.unit_level = u.level AND r.role = s.role AND r.cadre_level = c.level
  AND (size(r.titles) = 0 OR any(t IN c.titles WHERE t IN r.titles))
WITH c, r, count(s) AS units
WHERE r.max_per_cadre IS NOT NULL AND units > r.max_per_cadre
RETURN c.id AS cadre, c.name AS name, r.id AS rule, units, r.max_per_cadre AS allowed
ORDER BY units DESC, cadre
