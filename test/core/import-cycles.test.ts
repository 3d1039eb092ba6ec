/**
 * No import cycle between the folders of src/ (each concern imports the ones below it, never back): every relative
 * import, static, dynamic or type-only, is an edge from its folder to the target's, and the folders must form a
 * graph without cycles (strongly connected components of one folder only).
 */
import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const SRC = path.join(__dirname, "..", "..", "src");
const IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)["'](\.[^"']+)["']/g;

/** Folder-to-folder edges of src/, each with one import that makes it (for the failure message). */
function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const entry of readdirSync(SRC, { recursive: true, encoding: "utf8" })) {
    if (!entry.endsWith(".ts")) continue;
    const from = entry.split(path.sep)[0];
    if (from === entry) continue; // src/index.ts, the package entry, re-exports every folder
    for (const match of readFileSync(path.join(SRC, entry), "utf8").matchAll(IMPORT)) {
      const target = path.relative(SRC, path.join(SRC, path.dirname(entry), match[1])).split(path.sep)[0];
      if (target === from || target.startsWith("..")) continue;
      if (!graph.has(from)) graph.set(from, new Map());
      graph.get(from)!.set(target, `${entry} imports ${match[1]}`);
    }
  }
  return graph;
}

/** Tarjan's strongly connected components with more than one folder: each one is a cycle. */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let top: string;
      do {
        top = stack.pop()!;
        component.push(top);
      } while (top !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe("core: import structure of src/", function () {
  it("has no import cycle between folders (the demo builds on the tasks, never the reverse)", function () {
    const graph = folderGraph();
    expect(graph.get("demo")?.has("tasks"), "the demo still uses the operator tasks").to.equal(true);
    const found = cycles(graph).map((component) =>
      component.flatMap((a) => component.filter((b) => graph.get(a)?.has(b)).map((b) => graph.get(a)!.get(b)!)),
    );
    expect(found).to.deep.equal([]);
  });

  it("finds a cycle when one folder imports back (the check itself works)", function () {
    const graph = new Map([
      ["a", new Map([["b", "a/x.ts imports ../b"]])],
      ["b", new Map([["c", "b/y.ts imports ../c"]])],
      ["c", new Map([["a", "c/z.ts imports ../a"]])],
    ]);
    expect(cycles(graph)).to.deep.equal([["a", "b", "c"]]);
  });
});
