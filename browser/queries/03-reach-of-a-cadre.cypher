// Reach of a cadre: the units they support on $on, and the groups and households below
// each under an unbroken chain
// :param cadre => '83-0024'
// :param on => date('2023-05-01')
MATCH (m:NamgraphMeta {key: 'schema'})
MATCH (c:Cadre {id: $cadre})-[s:SUPPORTS]->(d)
WHERE s.since <= $on AND (s.until IS NULL OR $on < s.until)
  AND [i IN range(0, size(c.history_status) - 1)
       WHERE c.history_since[i] <= $on | c.history_status[i]][-1] = 'active'
  AND EXISTS {
    MATCH (r:PolicyRule {coverage_of: d.level})
    WHERE r.role = s.role AND r.cadre_level = c.level
      AND (size(r.titles) = 0 OR any(t IN c.titles WHERE t IN r.titles))
  }
OPTIONAL MATCH p = (d)<-[:PART_OF*0..]-(g)
WHERE g.level = m.household_level
  AND all(x IN nodes(p) WHERE (x.valid_from IS NULL OR x.valid_from <= $on)
                          AND (x.valid_to IS NULL OR $on < x.valid_to))
  AND all(x IN tail(nodes(p)) WHERE NOT x.level IN m.chain OR EXISTS {
    MATCH (x)<-[xs:SUPPORTS]-(xc), (r:PolicyRule {coverage_of: x.level})
    WHERE xs.role = r.role AND xc.level = r.cadre_level
      AND (size(r.titles) = 0 OR any(t IN xc.titles WHERE t IN r.titles))
      AND xs.since <= $on AND (xs.until IS NULL OR $on < xs.until)
      AND [i IN range(0, size(xc.history_status) - 1)
           WHERE xc.history_since[i] <= $on | xc.history_status[i]][-1] = 'active'
  })
RETURN d.code AS unit, d.name AS name, count(g) AS groups, coalesce(sum(g.households), 0) AS households
ORDER BY unit
