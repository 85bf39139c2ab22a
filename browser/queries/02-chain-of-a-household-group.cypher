// Chain of a household group: every level up to the province, and who supports it on $on
// :param group => '28801.01.01'
// :param on => date('2023-05-01')
MATCH p = (:Unit {code: $group})-[:PART_OF*0..]->(top)
WHERE NOT (top)-[:PART_OF]->()
UNWIND range(0, length(p)) AS step
WITH step, nodes(p)[step] AS u
OPTIONAL MATCH (rule:PolicyRule {coverage_of: u.level})
OPTIONAL MATCH (u)<-[s:SUPPORTS]-(c)
WHERE rule IS NOT NULL AND s.role = rule.role AND c.level = rule.cadre_level
  AND (size(rule.titles) = 0 OR any(t IN c.titles WHERE t IN rule.titles))
  AND s.since <= $on AND (s.until IS NULL OR $on < s.until)
  AND [i IN range(0, size(c.history_status) - 1)
       WHERE c.history_since[i] <= $on | c.history_status[i]][-1] = 'active'
RETURN step, u.level AS level, u.code AS code, u.name AS name,
       collect(c.id) AS cadre_ids, collect(c.name) AS cadres, collect(c.phone) AS phones,
       collect(s.since) AS since
ORDER BY step
