// Gaps at a level: units below $unit at $level without an active supporter on $on
// :param unit => '83'
// :param level => 'commune'
// :param on => date('2023-05-01')
MATCH (rule:PolicyRule {coverage_of: $level})
MATCH (root:Unit {code: $unit})
MATCH p = (root)<-[:PART_OF*0..]-(u)
WHERE u.level = $level
  AND all(x IN nodes(p) WHERE (x.valid_from IS NULL OR x.valid_from <= $on)
                          AND (x.valid_to IS NULL OR $on < x.valid_to))
  AND NOT EXISTS {
    MATCH (u)<-[s:SUPPORTS]-(c)
    WHERE s.role = rule.role AND c.level = rule.cadre_level
      AND (size(rule.titles) = 0 OR any(t IN c.titles WHERE t IN rule.titles))
      AND s.since <= $on AND (s.until IS NULL OR $on < s.until)
      AND [i IN range(0, size(c.history_status) - 1)
           WHERE c.history_since[i] <= $on | c.history_status[i]][-1] = 'active'
  }
RETURN u.code AS code, u.name AS name, u.kind AS kind
ORDER BY code
