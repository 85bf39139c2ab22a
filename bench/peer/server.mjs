// The generic alternative namgraph is measured against (make bench, bench/peer.py):
// @neo4j/graphql over the same Neo4j, served by Apollo Server, as a team would set it up.
//
//   node server.mjs <type definitions file> <cypher params JSON file>
//
// Environment: NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, PEER_PORT. It prints "ready <port>"
// once it listens. The type definitions and the policy's parameters (coverage rules, chain)
// are written by bench/peer.py; the context's cypherParams, the library's own way of
// injecting values, reach every statement as parameters ($rules, $chain, ...).
import { readFileSync } from "node:fs";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";

const [typeDefsFile, paramsFile] = process.argv.slice(2);
const typeDefs = readFileSync(typeDefsFile, "utf8");
const cypherParams = JSON.parse(readFileSync(paramsFile, "utf8"));
const driver = neo4j.driver(
  process.env.NEO4J_URI,
  neo4j.auth.basic(process.env.NEO4J_USER || "neo4j", process.env.NEO4J_PASSWORD),
);
const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();
const server = new ApolloServer({ schema, introspection: false });
const port = Number(process.env.PEER_PORT || 4000);
await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port },
  context: async () => ({ cypherParams }),
});
console.log(`ready ${port}`);

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await server.stop();
    await driver.close();
    process.exit(0);
  });
}
